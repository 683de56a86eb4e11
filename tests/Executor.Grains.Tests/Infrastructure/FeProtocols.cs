using TestFunctionExecutor;

namespace Executor.Grains.Tests.Infrastructure;

/// <summary>Theory data: both FE protocols, for behaviour whose grain path differs between them.</summary>
public static class FeProtocols
{
    public static TheoryData<string> Both => new() { TestFunctions.Protocol012, TestFunctions.Protocol013 };
}

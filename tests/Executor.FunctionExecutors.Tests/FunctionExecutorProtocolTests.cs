using Executor.FunctionExecutors;

namespace Executor.FunctionExecutors.Tests;

/// <summary>Issue 14: the allocation protocol an FE gets is chosen from the version its get_info reports.</summary>
public sealed class FunctionExecutorProtocolTests
{
    [Theory]
    [InlineData("0.1.2", FunctionExecutorProtocol.AllocationState)]
    [InlineData("0.1.3", FunctionExecutorProtocol.ExecutionLog)]
    [InlineData("0.1.4", FunctionExecutorProtocol.ExecutionLog)]
    [InlineData("0.1.10", FunctionExecutorProtocol.ExecutionLog)]
    public void SupportedVersionsGetTheirProtocol(string version, FunctionExecutorProtocol expected) =>
        Assert.Equal(expected, FunctionExecutorProtocols.Select(version));

    [Theory]
    [InlineData("0.1.1")]
    [InlineData("0.1.0")]
    [InlineData("0.2.0")]
    [InlineData("1.1.3")]
    [InlineData("0.1")]
    [InlineData("0.1.3.1")]
    [InlineData("0.1.3-dev")]
    [InlineData("0.1.-3")]
    [InlineData(" 0.1.3")]
    [InlineData("")]
    public void OtherVersionsAreNotDriven(string version)
    {
        Assert.Null(FunctionExecutorProtocols.Select(version));
        Assert.Equal("unsupported", FunctionExecutorProtocols.Label(FunctionExecutorProtocols.Select(version)));
    }
}

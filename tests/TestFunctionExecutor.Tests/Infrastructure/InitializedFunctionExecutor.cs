using Executor.Protocol.FunctionExecutorV1;
using Executor.Testing;

namespace TestFunctionExecutor.Tests.Infrastructure;

/// <summary>A test FE process initialized with one function, shared by the tests of a class; killed on dispose.</summary>
public abstract class InitializedFunctionExecutor(string functionName, IReadOnlyDictionary<string, string>? environment = null) : IAsyncLifetime
{
    public FunctionExecutorProcess Fe { get; private set; } = null!;

    public TempDirectory Directory { get; } = new("test-fe");

    public FunctionExecutor.FunctionExecutorClient Client => Fe.Client;

    public ExecutorPeer Peer(long outputChunkSize = FileBlobs.DefaultChunkSize) => new(Fe.Client, Directory) { OutputChunkSize = outputChunkSize };

    public ExecutorPeer013 Peer013(long outputChunkSize = FileBlobs.DefaultChunkSize) => new(Fe.Client, Directory) { OutputChunkSize = outputChunkSize };

    public async Task InitializeAsync()
    {
        Fe = await FunctionExecutorProcess.StartAsync(environment);
        var response = await Fe.InitializeAsync(functionName);
        Assert.Equal(InitializationOutcomeCode.Success, response.OutcomeCode);
    }

    public async Task DisposeAsync()
    {
        if (Fe is not null)
        {
            await Fe.DisposeAsync();
        }

        Directory.Dispose();
    }
}

/// <summary>A test FE process speaking FE protocol 0.1.3 (selected by TEST_FE_PROTOCOL), initialized with one function.</summary>
public abstract class InitializedFunctionExecutor013(string functionName) : InitializedFunctionExecutor(functionName, TestFunctions.ProtocolEnvironment(TestFunctions.Protocol013));

/// <summary>Starts one FE for a single test and initializes it with <paramref name="functionName"/>.</summary>
public static class SingleUse
{
    /// <summary>An FE speaking 0.1.3.</summary>
    public static Task<(FunctionExecutorProcess Fe, TempDirectory Directory)> Start013Async(string functionName)
        => StartAsync(functionName, TestFunctions.ProtocolEnvironment(TestFunctions.Protocol013));

    public static async Task<(FunctionExecutorProcess Fe, TempDirectory Directory)> StartAsync(string functionName, IReadOnlyDictionary<string, string>? environment = null)
    {
        var fe = await FunctionExecutorProcess.StartAsync(environment);
        try
        {
            var response = await fe.InitializeAsync(functionName);
            Assert.Equal(InitializationOutcomeCode.Success, response.OutcomeCode);
            return (fe, new TempDirectory("test-fe"));
        }
        catch
        {
            await fe.DisposeAsync();
            throw;
        }
    }
}

using System.Diagnostics;
using Executor.Protocol.FunctionExecutorV1;
using Grpc.Core;
using TestFunctionExecutor.Tests.Infrastructure;

namespace TestFunctionExecutor.Tests;

/// <summary>crash and crash_idle_N: the process exits with the crash code.</summary>
public sealed class CrashTests
{
    [Fact]
    public async Task Crash_exits_mid_allocation_and_breaks_the_state_stream()
    {
        var (fe, dir) = await SingleUse.StartAsync(TestFunctions.Crash);
        await using var _ = fe;
        using var __ = dir;

        var error = await Assert.ThrowsAsync<RpcException>(() => new ExecutorPeer(fe.Client, dir).RunAsync(AllocationInputs.Json(dir, "crash", "{}")));

        Assert.NotEqual(StatusCode.OK, error.StatusCode);
        Assert.Equal(TestFunctions.CrashExitCode, await fe.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task Crash_idle_exits_some_time_after_initialize()
    {
        await using var fe = await FunctionExecutorProcess.StartAsync();
        var stopwatch = Stopwatch.StartNew();

        var response = await fe.InitializeAsync(TestFunctions.CrashIdle(300));

        Assert.Equal(InitializationOutcomeCode.Success, response.OutcomeCode);
        Assert.Equal(TestFunctions.CrashExitCode, await fe.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.True(stopwatch.ElapsedMilliseconds >= 300, $"exited after {stopwatch.ElapsedMilliseconds} ms");
    }
}

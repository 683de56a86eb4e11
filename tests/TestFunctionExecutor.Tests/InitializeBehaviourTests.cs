using System.Diagnostics;
using Executor.Protocol.FunctionExecutorV1;
using Grpc.Core;
using TestFunctionExecutor.Tests.Infrastructure;

namespace TestFunctionExecutor.Tests;

/// <summary>init_error, init_hang, init_crash, init_slow_N.</summary>
public sealed class InitializeBehaviourTests
{
    [Fact]
    public async Task Init_error_answers_failure_and_stays_unhealthy()
    {
        await using var fe = await FunctionExecutorProcess.StartAsync();

        var response = await fe.InitializeAsync(TestFunctions.InitError);

        Assert.Equal(InitializationOutcomeCode.Failure, response.OutcomeCode);
        Assert.Equal(InitializationFailureReason.FunctionError, response.FailureReason);
        var health = await Assert.ThrowsAsync<RpcException>(() => fe.Client.check_healthAsync(new HealthCheckRequest(), deadline: FunctionExecutorProcess.Deadline).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, health.StatusCode);
    }

    [Fact]
    public async Task Init_hang_never_answers_but_the_process_keeps_serving()
    {
        await using var fe = await FunctionExecutorProcess.StartAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => fe.InitializeAsync(TestFunctions.InitHang, DateTime.UtcNow.AddSeconds(1)));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        await fe.Client.get_infoAsync(new InfoRequest(), deadline: FunctionExecutorProcess.Deadline);
        Assert.False(fe.HasExited);
    }

    [Fact]
    public async Task Init_crash_exits_the_process_during_initialize()
    {
        await using var fe = await FunctionExecutorProcess.StartAsync();

        await Assert.ThrowsAsync<RpcException>(() => fe.InitializeAsync(TestFunctions.InitCrash));

        Assert.Equal(TestFunctions.CrashExitCode, await fe.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("scripted crash", fe.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Init_slow_succeeds_after_the_delay()
    {
        await using var fe = await FunctionExecutorProcess.StartAsync();

        var stopwatch = Stopwatch.StartNew();
        var response = await fe.InitializeAsync(TestFunctions.Combine(TestFunctions.InitSlow(400), TestFunctions.Echo));

        Assert.Equal(InitializationOutcomeCode.Success, response.OutcomeCode);
        Assert.True(stopwatch.ElapsedMilliseconds >= 400, $"initialize took {stopwatch.ElapsedMilliseconds} ms");
    }
}

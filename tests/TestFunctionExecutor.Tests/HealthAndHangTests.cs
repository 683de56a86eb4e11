using Executor.Protocol.FunctionExecutorV1;
using Grpc.Core;
using TestFunctionExecutor.Tests.Infrastructure;

namespace TestFunctionExecutor.Tests;

/// <summary>unhealthy, hang, hang_health.</summary>
public sealed class HealthAndHangTests
{
    [Fact]
    public async Task Unhealthy_reports_healthy_false_and_still_runs_allocations()
    {
        var (fe, dir) = await SingleUse.StartAsync(TestFunctions.Unhealthy);
        await using var _ = fe;
        using var __ = dir;

        var health = await fe.Client.check_healthAsync(new HealthCheckRequest(), deadline: FunctionExecutorProcess.Deadline);
        Assert.False(health.Healthy);
        Assert.Equal(TestFunctions.UnhealthyMessage, health.StatusMessage);

        var run = await new ExecutorPeer(fe.Client, dir).RunAsync(AllocationInputs.Json(dir, "unhealthy-echo", "[1]"));
        Assert.Equal("[1]", run.ReadValueText());
    }

    [Fact]
    public async Task Hang_never_finishes_while_health_stays_ok()
    {
        var (fe, dir) = await SingleUse.StartAsync(TestFunctions.Hang);
        await using var _ = fe;
        using var __ = dir;
        var client = fe.Client;

        var allocation = AllocationInputs.Json(dir, "hang", "{}");
        await client.create_allocationAsync(new CreateAllocationRequest { Allocation = allocation }, deadline: FunctionExecutorProcess.Deadline);
        using var watch = client.watch_allocation_state(new WatchAllocationStateRequest { AllocationId = allocation.AllocationId }, deadline: FunctionExecutorProcess.Deadline);
        Assert.True(await watch.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Null(watch.ResponseStream.Current.Result);

        Assert.True((await client.check_healthAsync(new HealthCheckRequest(), deadline: FunctionExecutorProcess.Deadline)).Healthy);
        var delete = await Assert.ThrowsAsync<RpcException>(() => client.delete_allocationAsync(
            new DeleteAllocationRequest { AllocationId = allocation.AllocationId }, deadline: FunctionExecutorProcess.Deadline).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, delete.StatusCode);

        var listed = await client.list_allocationsAsync(new ListAllocationsRequest(), deadline: FunctionExecutorProcess.Deadline);
        Assert.Null(Assert.Single(listed.Allocations).Result);
    }

    [Fact]
    public async Task Hang_health_never_answers_check_health()
    {
        var (fe, dir) = await SingleUse.StartAsync(TestFunctions.HangHealth);
        await using var _ = fe;
        using var __ = dir;

        var error = await Assert.ThrowsAsync<RpcException>(() => fe.Client.check_healthAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(1)).ResponseAsync);

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        await fe.Client.get_infoAsync(new InfoRequest(), deadline: FunctionExecutorProcess.Deadline);
    }
}

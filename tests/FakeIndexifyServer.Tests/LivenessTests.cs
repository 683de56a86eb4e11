using Executor.Protocol.ServerV1;
using FakeIndexifyServer.Tests.Infrastructure;
using Grpc.Core;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace FakeIndexifyServer.Tests;

public sealed class LivenessTests
{
    [Fact]
    public async Task A_stopped_report_applies_its_results_then_deregisters_at_once()
    {
        await using var harness = await Harness.StartAsync();
        var (stream, _) = await harness.RegisterAndStreamAsync("exec-1");
        await using var _s = stream;
        var fe = harness.Server.AddFunctionExecutor("exec-1", harness.Server.NewFunctionExecutor("ns", "app", "fn", maxConcurrency: 2));
        var finished = harness.Server.AddAllocation(harness.Server.NewAllocation(fe));
        var abandoned = harness.Server.AddAllocation(harness.Server.NewAllocation(fe));

        await harness.ReportAsync(Reports.Valid("exec-1", status: ExecutorStatus.Stopped, results: [Reports.Success(finished)]));

        Assert.Equal(StatusCode.OK, (await stream.EndedAsync()).StatusCode);
        Assert.NotNull(harness.Server.GetAcceptedResult(finished.AllocationId));
        Assert.Equal(AllocationFailureReason.ExecutorRemoved, (await harness.Server.WaitForServerFailureAsync(abandoned.AllocationId)).Reason);
        Assert.Equal(DeregistrationCause.Stopped, Assert.Single(harness.Server.Deregistrations).Cause);
        await using var reopened = harness.OpenStream("exec-1");
        Assert.Equal(StatusCode.NotFound, (await reopened.EndedAsync()).StatusCode);
    }

    [Fact]
    public async Task A_lapsed_executor_is_tombstoned_and_its_next_report_registers_it_afresh()
    {
        await using var harness = await Harness.StartAsync();
        var watch = Reports.Watch("ns", "app", "req", "call");
        harness.Server.RegisterFunctionCall("ns", "app", "req", "call");
        await harness.ReportAsync(Reports.Valid("exec-1", watches: [watch]));
        await using var stream = harness.OpenStream("exec-1");
        await stream.NextAsync();
        var fe = harness.Server.AddFunctionExecutor("exec-1", harness.Server.NewFunctionExecutor("ns", "app", "fn"));
        var allocation = harness.Server.AddAllocation(harness.Server.NewAllocation(fe));

        // Set up under the default 30 s deadline, then shorten it; a short one applies from the next report on.
        harness.Server.LivenessTimeout = TimeSpan.FromSeconds(2);
        await harness.ReportAsync(Reports.Valid("exec-1", watches: [watch]));

        // No more reports: the stream ends normally once the deadline passes.
        Assert.Equal(StatusCode.OK, (await stream.EndedAsync()).StatusCode);

        var deregistration = await harness.Server.WaitForDeregistrationAsync("exec-1");
        Assert.Equal(DeregistrationCause.LivenessLapsed, deregistration.Cause);
        Assert.Equal(AllocationFailureReason.ExecutorRemoved, (await harness.Server.WaitForServerFailureAsync(allocation.AllocationId)).Reason);
        var view = harness.Server.GetExecutor("exec-1")!;
        Assert.True(view.IsTombstoned);
        Assert.Null(view.StateHash);
        Assert.Empty(view.Watches);

        harness.Server.LivenessTimeout = TimeSpan.FromSeconds(30);
        await harness.ReportAsync(Reports.Valid("exec-1"));
        var again = harness.Server.GetExecutor("exec-1")!;
        Assert.Equal((true, false, 2), (again.IsRegistered, again.IsTombstoned, again.RegistrationCount));
        Assert.True(harness.Server.Reports[^1].WasStateChange);
        Assert.Empty(harness.Server.GetDesiredState("exec-1")!.FunctionExecutors);

        // The test plays the scheduler's retry: same call, new allocation id, on a new FE.
        var newFe = harness.Server.AddFunctionExecutor("exec-1", harness.Server.NewFunctionExecutor("ns", "app", "fn"));
        var retry = harness.Server.Reallocate(allocation.AllocationId, newFe.Id);
        Assert.Equal((allocation.FunctionCallId, allocation.RequestId), (retry.FunctionCallId, retry.RequestId));
        Assert.Equal(retry.AllocationId, Assert.Single(harness.Server.GetDesiredState("exec-1")!.Allocations).AllocationId);
    }

    [Fact]
    public async Task Only_valid_reports_refresh_the_deadline()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var harness = await Harness.StartAsync(new FakeServerOptions { TimeProvider = time, LivenessCheckInterval = TimeSpan.FromSeconds(1) });
        await harness.ReportAsync(Reports.Valid("exec-1"));

        time.Advance(TimeSpan.FromSeconds(20));
        await harness.ReportAsync(Reports.Valid("exec-1")); // valid: deadline now +30 s
        time.Advance(TimeSpan.FromSeconds(20));
        var invalid = Reports.Valid("exec-1");
        invalid.ExecutorState.ClearHostname();
        await Assert.ThrowsAsync<RpcException>(() => harness.ReportAsync(invalid)); // does not refresh
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(harness.Server.GetExecutor("exec-1")!.IsRegistered);

        time.Advance(TimeSpan.FromSeconds(6));

        Assert.Equal(DeregistrationCause.LivenessLapsed, (await harness.Server.WaitForDeregistrationAsync("exec-1")).Cause);
    }

    [Fact]
    public async Task A_report_rejected_for_malformed_results_still_refreshes_the_deadline()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var harness = await Harness.StartAsync(new FakeServerOptions { TimeProvider = time, LivenessCheckInterval = TimeSpan.FromSeconds(1) });
        await harness.ReportAsync(Reports.Valid("exec-1"));
        time.Advance(TimeSpan.FromSeconds(25));

        var malformed = Reports.Valid("exec-1", results: [new AllocationResult { AllocationId = "x" }]);
        Assert.Equal(StatusCode.Internal, (await Assert.ThrowsAsync<RpcException>(() => harness.ReportAsync(malformed))).StatusCode);
        time.Advance(TimeSpan.FromSeconds(25));

        Assert.True(harness.Server.GetExecutor("exec-1")!.IsRegistered);
        Assert.Empty(harness.Server.Deregistrations);
    }
}

using Executor.Grains.Tests.Infrastructure;
using Executor.Model;
using Executor.Server;
using Executor.Testing;
using TestFunctionExecutor;
using Xunit.Abstractions;

namespace Executor.Grains.Tests;

/// <summary>How a finished allocation's outcome reaches the Server: at once, until acknowledged, before its FE's termination.</summary>
public sealed class ResultHandOverTests(ITestOutputHelper output)
{
    [Theory]
    [MemberData(nameof(FeProtocols.Both), MemberType = typeof(FeProtocols))]
    public async Task TheOutcomeIsReportedWithoutWaitingForDeleteAllocation(string protocol)
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var fe = executor.NewFunctionExecutor(TestFunctions.Echo, protocol);
        await executor.ApplyAsync(executor.Snapshot([fe]));
        var process = await executor.WaitForRunningAsync(fe);
        process.HoldCalls("delete_allocation");

        var allocation = executor.NewAllocation(fe);
        await executor.ApplyAsync(executor.Snapshot([fe], [allocation]));

        // Delivered while the FE has not answered delete_allocation: the run still holds its slot.
        var result = await executor.WaitForResultAsync(allocation.AllocationId);
        Assert.Equal(OutcomeCode.Success, result.Outcome);
        await process.WaitForCallAsync("delete_allocation", allocation.AllocationId);
        Assert.Equal(1, (await executor.FunctionExecutor(fe.Id).GetStateAsync()).Running);

        process.ReleaseCalls("delete_allocation");
        await Eventually.TrueAsync(async () => (await executor.FunctionExecutor(fe.Id).GetStateAsync()).Running == 0, because: "the run ends once deleted");
        Assert.Single(executor.DeliveredResultsOf(allocation.AllocationId));
        Assert.Equal(FunctionExecutorStatus.Running, (await executor.FunctionExecutor(fe.Id).GetStateAsync()).Status);
    }

    [Fact]
    public async Task AResultStaysPendingUntilAReportCarryingItIsAcceptedAndIsThenDeliveredOnce()
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var fe = executor.NewFunctionExecutor(TestFunctions.Echo);
        await executor.ApplyAsync(executor.Snapshot([fe]));
        await executor.WaitForRunningAsync(fe);
        executor.Server.FailAllReports(() => new ServerRpcException("INTERNAL: scripted"));

        var allocation = executor.NewAllocation(fe);
        await executor.ApplyAsync(executor.Snapshot([fe], [allocation]));
        await Eventually.TrueAsync(() => executor.Server.Attempts.Any(a => !a.Accepted && a.Report.Results.Any(r => r.AllocationId == allocation.AllocationId)), because: "a report carrying the result fails");
        Assert.Equal(1, (await executor.Executor.GetStatusAsync()).PendingResults);

        // Failed reports back off (5 s × 3, capped at 10 s); the next one after the Server recovers carries it again.
        executor.Server.StopFailingReports();
        await executor.AdvanceAsync(TimeSpan.FromSeconds(10));
        var result = await executor.WaitForResultAsync(allocation.AllocationId);
        Assert.Equal(OutcomeCode.Success, result.Outcome);
        await Eventually.TrueAsync(async () => (await executor.Executor.GetStatusAsync()).PendingResults == 0, because: "the accepted result is no longer pending");

        // Not carried again by the next (periodic) report.
        var delivered = executor.Server.Attempts.Single(a => a.Accepted && a.Report.Results.Count > 0).Index;
        await executor.AdvanceAsync(TimeSpan.FromSeconds(5));
        var next = await Eventually.UntilNotNullAsync(() => executor.Server.Attempts.FirstOrDefault(a => a.Index > delivered), because: "the next report");
        Assert.True(next.Accepted);
        Assert.Empty(next.Report.Results);
    }

    [Fact]
    public async Task ATerminationIsHeldBackUntilTheResultsOfItsAllocationsWereAcknowledged()
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var fe = executor.NewFunctionExecutor(TestFunctions.Hang);
        var allocation = executor.NewAllocation(fe);
        await executor.ApplyAsync(executor.Snapshot([fe], [allocation]));
        var process = await executor.WaitForRunningAsync(fe);
        await process.WaitForCallAsync("watch_allocation_state", allocation.AllocationId);

        // The process dies while the Server refuses reports: the result and the termination are both waiting.
        executor.Server.FailAllReports(() => new ServerRpcException("UNAVAILABLE: scripted"));
        await process.CrashAsync();
        await Eventually.TrueAsync(async () => (await executor.FunctionExecutor(fe.Id).GetStateAsync()).Status == FunctionExecutorStatus.Terminated, because: "the FE grain terminated");
        await Eventually.TrueAsync(async () => (await executor.Executor.GetStatusAsync()).PendingResults == 1, because: "the result waits");

        executor.Server.StopFailingReports();
        await executor.Executor.RequestReportAsync();

        // First the result, with the FE still RUNNING (a v1 Server applies a termination before the results of the
        // same report); then, at once, the termination.
        var withResult = await executor.WaitForReportAsync(r => r.Results.Any(o => o.AllocationId == allocation.AllocationId), "the result is delivered");
        Assert.Equal(FunctionExecutorStatus.Running, withResult.FunctionExecutors.Single().Status);
        Assert.Equal(FunctionExecutorStatus.Terminated, withResult.TerminationsHeldBack.Single().Status);
        var terminated = await executor.WaitForStateAsync(fe.Id, FunctionExecutorStatus.Terminated);
        Assert.Equal(FunctionExecutorTerminationReason.Unhealthy, terminated.TerminationReason);
        Assert.Equal([allocation.AllocationId], terminated.AllocationIdsCausedTermination);
        Assert.DoesNotContain(executor.Server.Accepted, r => r.Results.Count > 0 && r.FunctionExecutors.Any(s => s.Status == FunctionExecutorStatus.Terminated));
    }

    [Fact]
    public async Task ResultsOfAnOutageGoOutTogetherOnceTheServerAnswersAgainAtTheReconnectInterval()
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var fe = executor.NewFunctionExecutor(TestFunctions.Echo, maxConcurrency: 4);
        await executor.ApplyAsync(executor.Snapshot([fe]));
        await executor.WaitForRunningAsync(fe);
        executor.Server.FailAllReports(() => new ServerUnreachableException("connection refused"));

        var allocations = Enumerable.Range(0, 4).Select(_ => executor.NewAllocation(fe)).ToList();
        await executor.ApplyAsync(executor.Snapshot([fe], allocations));
        await Eventually.TrueAsync(async () => (await executor.Executor.GetStatusAsync()).PendingResults == 4, because: "every result waits for the Server");

        // Nothing answers: the executor probes every second (the reconnect interval), not at the 5 s report interval.
        executor.Server.StopFailingReports();
        await executor.AdvanceAsync(TimeSpan.FromSeconds(1));
        var report = await executor.WaitForReportAsync(r => r.Results.Count == 4, "one report carries every result");
        Assert.Equal(allocations.Select(a => a.AllocationId).Order(), report.Results.Select(r => r.AllocationId).Order());
        Assert.All(allocations, a => Assert.Single(executor.DeliveredResultsOf(a.AllocationId)));
    }
}

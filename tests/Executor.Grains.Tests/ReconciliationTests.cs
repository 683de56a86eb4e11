using Executor.Grains.Tests.Infrastructure;
using Executor.Model;
using Executor.Testing;
using TestFunctionExecutor;
using Xunit.Abstractions;

namespace Executor.Grains.Tests;

/// <summary>ExecutorGrain reconciliation: what each desired-state snapshot starts, stops, runs, cancels and fails.</summary>
public sealed class ReconciliationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task NewFunctionExecutorsStartAndOnesThatVanishAreShutDownAndLeaveTheReports()
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var kept = executor.NewFunctionExecutor(TestFunctions.Echo);
        var removed = executor.NewFunctionExecutor(TestFunctions.Echo + "+b");

        await executor.ApplyAsync(executor.Snapshot([kept, removed]));
        var keptProcess = await executor.WaitForRunningAsync(kept);
        var removedProcess = await executor.WaitForRunningAsync(removed);

        await executor.ApplyAsync(executor.Snapshot([kept]));
        await executor.WaitUntilGoneAsync(removed.Id);

        // The vanished FE's process was stopped by the executor (gracefully, with the configured grace period) and is gone;
        // the other one was left alone, and nothing was started twice.
        Assert.True(removedProcess.HasExited);
        Assert.True(removedProcess.StoppedByExecutor);
        Assert.Equal([TimeSpan.FromSeconds(2)], removedProcess.Stops);
        Assert.False(keptProcess.HasExited);
        Assert.Empty(keptProcess.Stops);
        Assert.Single(executor.Launcher.ProcessesOf(kept.Id));
        Assert.Single(executor.Launcher.ProcessesOf(removed.Id));
        Assert.Equal(FunctionExecutorStatus.Running, executor.Server.Accepted[^1].FunctionExecutors.Single().Status);

        // A removal is not a termination: the FE simply vanishes.
        Assert.DoesNotContain(executor.Server.Attempts, a => a.Report.FunctionExecutors.Any(s => s.FunctionExecutorId == removed.Id && s.Status == FunctionExecutorStatus.Terminated));
    }

    [Fact]
    public async Task AllocationsRunOnTheFunctionExecutorTheyNameAndEachResultIsReportedOnce()
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var echo = executor.NewFunctionExecutor(TestFunctions.Echo);
        var failing = executor.NewFunctionExecutor(TestFunctions.FailFunction);
        var onEcho = executor.NewAllocation(echo, "\"to echo\"");
        var onFailing = executor.NewAllocation(failing);

        await executor.ApplyAsync(executor.Snapshot([echo, failing], [onEcho, onFailing]));

        var echoed = await executor.WaitForResultAsync(onEcho.AllocationId);
        var failed = await executor.WaitForResultAsync(onFailing.AllocationId);
        Assert.Equal(OutcomeCode.Success, echoed.Outcome);
        Assert.Equal("\"to echo\"", executor.Blobs.ReadText(echoed.Value!));
        Assert.Equal(OutcomeCode.Failure, failed.Outcome);
        Assert.Equal(AllocationFailureReason.FunctionError, failed.FailureReason);
        Assert.Equal([onEcho.AllocationId], executor.Launcher.ProcessesOf(echo.Id).Single().Calls.Where(c => c.Method == "create_allocation").Select(c => c.AllocationId));
        Assert.Equal([onFailing.AllocationId], executor.Launcher.ProcessesOf(failing.Id).Single().Calls.Where(c => c.Method == "create_allocation").Select(c => c.AllocationId));
        Assert.Single(executor.DeliveredResultsOf(onEcho.AllocationId));
        Assert.Single(executor.DeliveredResultsOf(onFailing.AllocationId));
    }

    [Fact]
    public async Task AFinishedAllocationNeverRunsAgainFromAStaleSnapshot()
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var fe = executor.NewFunctionExecutor(TestFunctions.Echo);
        var finished = executor.NewAllocation(fe);
        var stale = executor.Snapshot([fe], [finished]);
        await executor.ApplyAsync(stale);
        await executor.WaitForResultAsync(finished.AllocationId);

        // The Server stops listing it, then an old snapshot (same content, repeated clock) lists it again.
        await executor.ApplyAsync(executor.Snapshot([fe]));
        await executor.ApplyAsync(stale);
        await executor.ApplyAsync(stale with { Clock = 0 });

        // One FE runs allocations in arrival order: once a later allocation finished, a second run would have shown.
        var later = executor.NewAllocation(fe);
        await executor.ApplyAsync(executor.Snapshot([fe], [finished, later]));
        await executor.WaitForResultAsync(later.AllocationId);

        var process = executor.Launcher.ProcessesOf(fe.Id).Single();
        Assert.Equal([finished.AllocationId, later.AllocationId], process.Calls.Where(c => c.Method == "create_allocation").Select(c => c.AllocationId));
        Assert.Single(executor.DeliveredResultsOf(finished.AllocationId));
    }

    [Fact]
    public async Task AnAllocationThatVanishesIsCancelledQueuedWithoutDurationRunningWithOneAndItsFunctionExecutorTerminated()
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var fe = executor.NewFunctionExecutor(TestFunctions.Hang);
        var running = executor.NewAllocation(fe);
        var queued = executor.NewAllocation(fe);
        await executor.ApplyAsync(executor.Snapshot([fe], [running, queued]));
        var process = await executor.WaitForRunningAsync(fe);
        await process.WaitForCallAsync("watch_allocation_state", running.AllocationId);

        // Removed before it started: ALLOCATION_CANCELLED without duration, and the FE keeps running the other one.
        await executor.ApplyAsync(executor.Snapshot([fe], [running]));
        var cancelledQueued = await executor.WaitForResultAsync(queued.AllocationId);
        Assert.Equal(AllocationFailureReason.AllocationCancelled, cancelledQueued.FailureReason);
        Assert.Null(cancelledQueued.ExecutionDurationMs);
        Assert.DoesNotContain(process.Calls, c => c.AllocationId == queued.AllocationId);
        Assert.False(process.HasExited);

        // Removed while running: ALLOCATION_CANCELLED with a duration, and the FE (which cannot stop one allocation) is
        // terminated FUNCTION_CANCELLED, blaming it.
        await executor.ApplyAsync(executor.Snapshot([fe]));
        var cancelledRunning = await executor.WaitForResultAsync(running.AllocationId);
        Assert.Equal(OutcomeCode.Failure, cancelledRunning.Outcome);
        Assert.Equal(AllocationFailureReason.AllocationCancelled, cancelledRunning.FailureReason);
        Assert.NotNull(cancelledRunning.ExecutionDurationMs);

        var terminated = await executor.WaitForStateAsync(fe.Id, FunctionExecutorStatus.Terminated);
        Assert.Equal(FunctionExecutorTerminationReason.FunctionCancelled, terminated.TerminationReason);
        Assert.Equal([running.AllocationId], terminated.AllocationIdsCausedTermination);
        Assert.True(process.HasExited);
        Assert.Equal([TimeSpan.Zero], process.Stops);
        Assert.Single(executor.DeliveredResultsOf(queued.AllocationId));
        Assert.Single(executor.DeliveredResultsOf(running.AllocationId));
    }

    [Fact]
    public async Task CancelledAllocationsAreStoppedButTheirOutcomeIsStillReported()
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var fe = executor.NewFunctionExecutor(TestFunctions.Hang, maxConcurrency: 2);
        var running = executor.NewAllocation(fe);
        var neverSeen = executor.NewAllocation(fe);
        await executor.ApplyAsync(executor.Snapshot([fe], [running]));
        var process = await executor.WaitForRunningAsync(fe);
        await process.WaitForCallAsync("watch_allocation_state", running.AllocationId);

        // The Server cancels both while it still wants their outcomes: the running one is stopped on its FE, the one
        // this executor never received is answered at once.
        await executor.ApplyAsync(executor.Snapshot([fe], cancelled: [running, neverSeen]));

        var stopped = await executor.WaitForResultAsync(running.AllocationId);
        var answered = await executor.WaitForResultAsync(neverSeen.AllocationId);
        Assert.Equal(AllocationFailureReason.AllocationCancelled, stopped.FailureReason);
        Assert.Equal(AllocationFailureReason.AllocationCancelled, answered.FailureReason);
        Assert.DoesNotContain(process.Calls, c => c.AllocationId == neverSeen.AllocationId);
        var terminated = await executor.WaitForStateAsync(fe.Id, FunctionExecutorStatus.Terminated);
        Assert.Equal(FunctionExecutorTerminationReason.FunctionCancelled, terminated.TerminationReason);
    }

    [Fact]
    public async Task AnAllocationForAFunctionExecutorNotInTheSnapshotFailsFunctionExecutorTerminated()
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var placed = executor.NewFunctionExecutor(TestFunctions.Echo);
        var missing = executor.NewFunctionExecutor(TestFunctions.Echo + "+missing");
        var orphan = executor.NewAllocation(missing);

        await executor.ApplyAsync(executor.Snapshot([placed], [orphan]));

        var result = await executor.WaitForResultAsync(orphan.AllocationId);
        Assert.Equal(OutcomeCode.Failure, result.Outcome);
        Assert.Equal(AllocationFailureReason.FunctionExecutorTerminated, result.FailureReason);
        Assert.Empty(executor.Launcher.ProcessesOf(missing.Id));
    }

    [Fact]
    public async Task AllocationsStillListedWhenTheirFunctionExecutorIsRemovedEachFailFunctionExecutorTerminated()
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var fe = executor.NewFunctionExecutor(TestFunctions.Hang);
        var running = executor.NewAllocation(fe);
        var queued = executor.NewAllocation(fe);
        await executor.ApplyAsync(executor.Snapshot([fe], [running, queued]));
        var process = await executor.WaitForRunningAsync(fe);
        await process.WaitForCallAsync("watch_allocation_state", running.AllocationId);

        await executor.ApplyAsync(executor.Snapshot(allocations: [running, queued]));

        await executor.WaitUntilGoneAsync(fe.Id);
        Assert.Equal(AllocationFailureReason.FunctionExecutorTerminated, (await executor.WaitForResultAsync(running.AllocationId)).FailureReason);
        Assert.Equal(AllocationFailureReason.FunctionExecutorTerminated, (await executor.WaitForResultAsync(queued.AllocationId)).FailureReason);
        Assert.True(process.HasExited);
    }

    [Fact]
    public async Task AnFeIdListedTwiceStartsOneProcessAndAnAllocationListedTwiceRunsOnce()
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var fe = executor.NewFunctionExecutor(TestFunctions.Echo, maxConcurrency: 2);
        var twin = fe with { Function = fe.Function with { Function = TestFunctions.FailFunction } };
        var allocation = executor.NewAllocation(fe);

        // The same id twice, once describing another function; the same allocation twice.
        await executor.ApplyAsync(executor.Snapshot([fe, fe, twin], [allocation, allocation]));

        Assert.Equal(OutcomeCode.Success, (await executor.WaitForResultAsync(allocation.AllocationId)).Outcome);
        var process = Assert.Single(executor.Launcher.ProcessesOf(fe.Id));
        Assert.Single(process.Calls, c => c.Method == "create_allocation");
        Assert.Single(executor.Server.Accepted[^1].FunctionExecutors);
        Assert.Single(executor.DeliveredResultsOf(allocation.AllocationId));
    }

    [Fact]
    public async Task AFunctionExecutorListedAgainWhileItShutsDownIsStartedAfresh()
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var fe = executor.NewFunctionExecutor(TestFunctions.Echo);
        await executor.ApplyAsync(executor.Snapshot([fe]));
        var first = await executor.WaitForRunningAsync(fe);
        first.HoldStops();

        // Removed, and listed again (with work) while its process is still being stopped: nothing starts until the old
        // one is gone, then the latest snapshot is applied again and the FE is created afresh.
        await executor.ApplyAsync(executor.Snapshot());
        await Eventually.TrueAsync(() => first.Stops.Count == 1, because: "the executor stops the removed FE");
        var again = executor.NewAllocation(fe);
        await executor.ApplyAsync(executor.Snapshot([fe], [again]));
        Assert.Single(executor.Launcher.ProcessesOf(fe.Id));
        first.ReleaseStops();

        var result = await executor.WaitForResultAsync(again.AllocationId);
        Assert.Equal(OutcomeCode.Success, result.Outcome);
        var processes = executor.Launcher.ProcessesOf(fe.Id);
        Assert.Equal(2, processes.Count);
        Assert.True(processes[0].HasExited);
        Assert.False(processes[1].HasExited);
        Assert.DoesNotContain(processes[0].Calls, c => c.AllocationId == again.AllocationId);
    }

    [Fact]
    public async Task SnapshotsFromTheStreamAreAppliedWhateverTheirClockAndTheLastClockIsEchoed()
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var first = executor.NewFunctionExecutor(TestFunctions.Echo);
        var second = executor.NewFunctionExecutor(TestFunctions.Echo + "+second");

        executor.Server.Push(executor.Snapshot([first]) with { Clock = 7 });
        await executor.WaitForRunningAsync(first);

        // The Server's clock repeats and restarts from 0: a lower clock is new content all the same.
        executor.Server.Push(executor.Snapshot([first, second]) with { Clock = 3 });
        await executor.WaitForRunningAsync(second);

        var report = await executor.WaitForReportAsync(r => r.ServerClock == 3 && r.FunctionExecutors.Count == 2, "a report echoes clock 3");
        Assert.All(report.FunctionExecutors, s => Assert.Equal(FunctionExecutorStatus.Running, s.Status));
    }
}

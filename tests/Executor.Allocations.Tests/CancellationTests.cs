using Executor.Allocations.Tests.Infrastructure;
using Executor.Protocol.ServerV1;
using Executor.TestHost;
using FakeIndexifyServer;
using TestFunctionExecutor;
using Xunit;

namespace Executor.Allocations.Tests;

/// <summary>
/// Issue 5 (c): allocations removed from the desired state (v1) or killed (v2: KillAllocation, which the fake sends on
/// a test cancellation when asked to; the real v2 Server drops a cancelled allocation silently), queued and running.
/// </summary>
public abstract class CancellationTests<TProtocols>
    where TProtocols : IProtocols
{
    [Fact]
    public async Task QueuedAllocationIsCancelledWithoutDurationAndRunningOneWithDurationAndItsFunctionExecutorTerminated()
    {
        // The fake places both at once; the executor queues the second behind the hanging first (max_concurrency 1).
        await using var scenario = await ExecutorScenario.StartAsync(new FakeServerOptions { EnforceFunctionExecutorCapacity = false, EmitKillAllocationOnCancel = true }, protocols: TProtocols.Combination);
        var fe = scenario.AddSmallFunctionExecutor(TestFunctions.Hang, maxConcurrency: 1);
        var running = scenario.AddAllocation(fe);
        var queued = scenario.AddAllocation(fe);
        await Testing.Eventually.TrueAsync(
            () => scenario.ReadFunctionExecutorLog(fe.Id).Contains($"allocation {running.AllocationId}: hanging", StringComparison.Ordinal),
            ScenarioExtensions.Patience,
            "the first allocation hangs in the FE");

        // Removed before it started: ALLOCATION_CANCELLED, no duration, the FE keeps running the other one.
        scenario.Server.CancelAllocation(queued.AllocationId);
        var cancelledQueued = await scenario.Server.WaitForReportedResultAsync(queued.AllocationId);
        Assert.Equal(AllocationOutcomeCode.Failure, cancelledQueued.OutcomeCode);
        Assert.Equal(AllocationFailureReason.AllocationCancelled, cancelledQueued.FailureReason);
        Assert.False(cancelledQueued.HasExecutionDurationMs);
        Assert.DoesNotContain($"allocation {queued.AllocationId} started", scenario.ReadFunctionExecutorLog(fe.Id), StringComparison.Ordinal);

        // Removed while running: ALLOCATION_CANCELLED with a duration, and the FE is terminated FUNCTION_CANCELLED blaming it
        // (the FE protocol cannot stop one allocation, so upstream kills the FE).
        scenario.Server.CancelAllocation(running.AllocationId);
        var cancelledRunning = await scenario.Server.WaitForReportedResultAsync(running.AllocationId);
        Assert.Equal(AllocationOutcomeCode.Failure, cancelledRunning.OutcomeCode);
        Assert.Equal(AllocationFailureReason.AllocationCancelled, cancelledRunning.FailureReason);
        Assert.True(cancelledRunning.HasExecutionDurationMs);

        var terminated = await scenario.Server.WaitForTerminatedAsync(fe.Id);
        Assert.Equal(FunctionExecutorTerminationReason.FunctionCancelled, terminated.TerminationReason);
        scenario.AssertTerminationBlames(terminated, running.AllocationId);

        // Each outcome went out once (the fake had already failed both itself, so it logs them as duplicates).
        Assert.Equal(1, scenario.Server.TimesReported(queued.AllocationId));
        Assert.Equal(1, scenario.Server.TimesReported(running.AllocationId));
    }
}

/// <summary><see cref="CancellationTests{TProtocols}"/> on the diagonal: v1 with FE 0.1.2, v2 with FE 0.1.3.</summary>
public static class CancellationTests
{
    public sealed class V1Fe012 : CancellationTests<Protocols.V1Fe012>;

    public sealed class V2Fe013 : CancellationTests<Protocols.V2Fe013>;
}

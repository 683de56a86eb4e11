using Executor.Model;

namespace Executor.Allocations;

/// <summary>What a running allocation needs from the FunctionExecutorGrain that owns it (called on the grain's scheduler).</summary>
public interface IAllocationHost
{
    void WatchAdded(AllocationRunner run, string watcherId, FunctionCallWatch watch);

    void WatchRemoved(AllocationRunner run, string watcherId, FunctionCallWatch watch);

    /// <summary>The FE's own failure kind when it died under the allocation (OOM or not).</summary>
    AllocationFailureReason FailureReasonForDeadExecutor { get; }

    /// <summary>
    /// Completes once the FE's process is seen to have ended (then <see cref="FailureReasonForDeadExecutor"/> tells an
    /// OOM kill), or after <paramref name="timeout"/> on the run's clock while it still runs.
    /// </summary>
    Task WaitForProcessEndAsync(TimeSpan timeout) => Task.CompletedTask;
}

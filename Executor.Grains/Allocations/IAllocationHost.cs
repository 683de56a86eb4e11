using Executor.Model;

namespace Executor.Allocations;

/// <summary>What a running allocation needs from the FunctionExecutorGrain that owns it (called on the grain's scheduler).</summary>
public interface IAllocationHost
{
    void WatchAdded(AllocationRunner run, string watcherId, FunctionCallWatch watch);

    void WatchRemoved(AllocationRunner run, string watcherId, FunctionCallWatch watch);

    /// <summary>The FE's own failure kind when it died under the allocation (OOM or not).</summary>
    AllocationFailureReason FailureReasonForDeadExecutor { get; }
}

using Executor.Model;

namespace Executor.Allocations;

/// <summary>Why a running allocation was stopped from outside its own state loop.</summary>
public enum AllocationStopReason
{
    None = 0,

    /// <summary>The Server removed it from the desired state: ALLOCATION_CANCELLED, and the FE is terminated.</summary>
    Cancelled,

    /// <summary>Its FE died or was found unhealthy: the run failed with the FE.</summary>
    FunctionExecutorFailed,

    /// <summary>Its FE was removed (or the executor stops): nothing is reported for it.</summary>
    Shutdown,
}

/// <summary>What a finished run hands back to its FE grain.</summary>
public sealed record AllocationRunResult(AllocationOutcome? Outcome, FunctionExecutorTerminationReason? TerminateFunctionExecutor, bool Failed);

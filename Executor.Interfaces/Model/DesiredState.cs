namespace Executor.Model;

/// <summary>A complete snapshot of what the Server wants on this executor (never a delta).</summary>
[GenerateSerializer, Immutable, Alias("Executor.Model.DesiredState")]
public sealed record DesiredState
{
    [Id(0)] public IReadOnlyList<FunctionExecutorSpec> FunctionExecutors { get; init; } = [];
    [Id(1)] public IReadOnlyList<AllocationSpec> Allocations { get; init; } = [];
    [Id(2)] public ulong Clock { get; init; }
    [Id(3)] public IReadOnlyList<FunctionCallResultSpec> FunctionCallResults { get; init; } = [];
    /// <summary>How many pieces the protocol adapter rejected while reading this snapshot (logged there).</summary>
    [Id(4)] public int RejectedPieces { get; init; }

    /// <summary>
    /// Allocations too malformed to run but identifiable enough to answer: the executor reports them failed
    /// (INTERNAL_ERROR) instead of silently dropping them, so the Server never waits on them forever.
    /// </summary>
    [Id(5)] public IReadOnlyList<AllocationOutcome> RejectedAllocations { get; init; } = [];

    /// <summary>
    /// Allocations the Server asked to cancel while it still wants their outcome (ALLOCATION_CANCELLED, or whatever
    /// they finished with first). Cancelled like vanished allocations, but their results are still reported.
    /// </summary>
    [Id(6)] public IReadOnlyList<AllocationSpec> CancelledAllocations { get; init; } = [];
}

public enum ExecutorStatus
{
    Unknown = 0,
    StartingUp = 1,
    Running = 2,
    Drained = 3,
    Stopped = 4,
}

namespace Executor.Model;

public enum FunctionExecutorStatus
{
    Unknown = 0,
    Pending = 1,
    Running = 2,
    Terminated = 3,
}

/// <summary>Why the executor terminated an FE (the v1 wire values, gaps included).</summary>
public enum FunctionExecutorTerminationReason
{
    Unknown = 0,
    StartupFailedInternalError = 1,
    StartupFailedFunctionError = 2,
    StartupFailedFunctionTimeout = 3,
    Unhealthy = 12,
    InternalError = 13,
    FunctionTimeout = 14,
    FunctionCancelled = 15,
    Oom = 16,
}

/// <summary>One FE as the executor reports it.</summary>
[GenerateSerializer, Immutable, Alias("Executor.Model.FunctionExecutorState")]
public sealed record FunctionExecutorState
{
    [Id(0)] public required string FunctionExecutorId { get; init; }
    [Id(1)] public FunctionExecutorStatus Status { get; init; }
    [Id(2)] public FunctionExecutorTerminationReason? TerminationReason { get; init; }
    [Id(3)] public IReadOnlyList<string> AllocationIdsCausedTermination { get; init; } = [];
    [Id(4)] public string? TerminationMessage { get; init; }
}

/// <summary>What one FE grain tells the executor grain: its latest state plus results finished since the last update.</summary>
[GenerateSerializer, Immutable, Alias("Executor.Model.FunctionExecutorUpdate")]
public sealed record FunctionExecutorUpdate
{
    [Id(0)] public required string FunctionExecutorId { get; init; }
    [Id(1)] public long Sequence { get; init; }
    [Id(2)] public FunctionExecutorState? State { get; init; }
    [Id(3)] public IReadOnlyList<AllocationOutcome> Results { get; init; } = [];
    [Id(4)] public IReadOnlyList<FunctionCallWatch> WatchesAdded { get; init; } = [];
    [Id(5)] public IReadOnlyList<FunctionCallWatch> WatchesRemoved { get; init; } = [];
    /// <summary>Set when the FE grain has shut down and wants to vanish from reports.</summary>
    [Id(6)] public bool Removed { get; init; }
}

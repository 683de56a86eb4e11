namespace Executor.Model;

public enum OutcomeCode
{
    Unknown = 0,
    Success = 1,
    Failure = 2,
}

/// <summary>Why an allocation failed, as the Server understands it (values of the v1 enum).</summary>
public enum AllocationFailureReason
{
    Unknown = 0,
    InternalError = 1,
    FunctionError = 2,
    FunctionTimeout = 3,
    RequestError = 4,
    AllocationCancelled = 5,
    FunctionExecutorTerminated = 6,
    Oom = 7,
    ConstraintUnsatisfiable = 8,
    ExecutorRemoved = 9,
    StartupFailedInternalError = 10,
    StartupFailedFunctionError = 11,
    StartupFailedFunctionTimeout = 12,
}

/// <summary>The finished result of one allocation, ready to be reported.</summary>
[GenerateSerializer, Immutable, Alias("Executor.Model.AllocationOutcome")]
public sealed record AllocationOutcome
{
    [Id(0)] public required string AllocationId { get; init; }
    [Id(1)] public required string FunctionExecutorId { get; init; }
    [Id(2)] public required FunctionRef Function { get; init; }
    [Id(3)] public required string FunctionCallId { get; init; }
    [Id(4)] public required string RequestId { get; init; }
    [Id(5)] public OutcomeCode Outcome { get; init; }
    [Id(6)] public AllocationFailureReason? FailureReason { get; init; }
    [Id(7)] public DataPayloadRef? Value { get; init; }
    [Id(8)] public CallGraph? Updates { get; init; }
    [Id(9)] public DataPayloadRef? RequestError { get; init; }
    [Id(10)] public ulong? ExecutionDurationMs { get; init; }

    public static AllocationOutcome Failed(AllocationSpec allocation, AllocationFailureReason reason, ulong? durationMs = null) => new()
    {
        AllocationId = allocation.AllocationId,
        FunctionExecutorId = allocation.FunctionExecutorId,
        Function = allocation.Function,
        FunctionCallId = allocation.FunctionCallId,
        RequestId = allocation.RequestId,
        Outcome = OutcomeCode.Failure,
        FailureReason = reason,
        ExecutionDurationMs = durationMs,
    };
}

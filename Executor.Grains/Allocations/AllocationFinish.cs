using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.Allocations;

/// <summary>
/// How the FE finished an allocation, whichever protocol reported it (0.1.2 AllocationResult, 0.1.3
/// finish_allocation): the outcome as the FE claims it, and the uploads that still need completing.
/// </summary>
public sealed record AllocationFinish
{
    public Fe.AllocationOutcomeCode OutcomeCode { get; init; }

    public Fe.AllocationFailureReason? FailureReason { get; init; }

    /// <summary>The returned value, inside <see cref="OutputsBlob"/>.</summary>
    public Fe.SerializedObjectInsideBLOB? Value { get; init; }

    public Fe.BLOB? OutputsBlob { get; init; }

    public TailCall? TailCall { get; init; }

    /// <summary>Set when the FE named a tail call that cannot be reported (the allocation then fails FUNCTION_ERROR).</summary>
    public string? InvalidTailCall { get; init; }

    public Fe.SerializedObjectInsideBLOB? RequestErrorOutput { get; init; }

    public Fe.BLOB? UploadedRequestErrorBlob { get; init; }

    /// <summary>The FE ended the allocation without a result (it may have died under it).</summary>
    public bool EndedWithoutResult { get; init; }

    /// <summary>What is reported when the FE ends an allocation without saying how: its own internal error.</summary>
    public static AllocationFinish WithoutResult() => new()
    {
        OutcomeCode = Fe.AllocationOutcomeCode.Failure,
        FailureReason = Fe.AllocationFailureReason.InternalError,
        EndedWithoutResult = true,
    };

    /// <summary>A 0.1.2 result: a tail call's inline arguments live in the outputs BLOB.</summary>
    public static AllocationFinish FromResult(Fe.AllocationResult result) => new()
    {
        OutcomeCode = result.OutcomeCode,
        FailureReason = result.HasFailureReason ? result.FailureReason : null,
        Value = result.OutputsCase == Fe.AllocationResult.OutputsOneofCase.Value ? result.Value : null,
        OutputsBlob = result.UploadedFunctionOutputsBlob,
        TailCall = result.OutputsCase == Fe.AllocationResult.OutputsOneofCase.Updates
            ? new TailCall(result.Updates.HasRootFunctionCallId ? result.Updates.RootFunctionCallId : string.Empty, [new TailCallPart(result.Updates, null)])
            : null,
        RequestErrorOutput = result.RequestErrorOutput,
        UploadedRequestErrorBlob = result.UploadedRequestErrorBlob,
    };

    /// <summary>A 0.1.3 finish_allocation; its tail call (if any) was resolved from the creates that preceded it.</summary>
    public static AllocationFinish FromFinishEvent(Fe.AllocationExecutionEventFinishAllocation finish, TailCall? tailCall, string? invalidTailCall) => new()
    {
        OutcomeCode = finish.OutcomeCode,
        FailureReason = finish.HasFailureReason ? finish.FailureReason : null,
        Value = finish.OutputsCase == Fe.AllocationExecutionEventFinishAllocation.OutputsOneofCase.Value ? finish.Value : null,
        OutputsBlob = finish.UploadedFunctionOutputsBlob,
        TailCall = tailCall,
        InvalidTailCall = invalidTailCall,
        RequestErrorOutput = finish.RequestErrorOutput,
        UploadedRequestErrorBlob = finish.UploadedRequestErrorBlob,
    };
}

/// <summary>A tail call: the call graph rooted at <paramref name="RootFunctionCallId"/> that replaces the allocation's output.</summary>
public sealed record TailCall(string RootFunctionCallId, IReadOnlyList<TailCallPart> Parts);

/// <summary>One FE plan of a tail call; its inline arguments live in <paramref name="ArgsBlob"/>, or in the outputs BLOB when null (0.1.2).</summary>
public sealed record TailCallPart(Fe.ExecutionPlanUpdates Updates, Fe.BLOB? ArgsBlob);

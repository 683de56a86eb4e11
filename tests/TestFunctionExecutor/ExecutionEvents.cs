using Executor.Protocol.FunctionExecutorV1;

namespace TestFunctionExecutor;

/// <summary>0.1.3: builders for the finish_allocation shapes the real FE produces, and one-line descriptions of execution events for the FE's stdout.</summary>
internal static class ExecutionEvents
{
    public static AllocationExecutionEvent Value(SerializedObjectInsideBLOB value, BLOB uploadedOutputs) => Finish(new AllocationExecutionEventFinishAllocation
    {
        OutcomeCode = AllocationOutcomeCode.Success,
        Value = value,
        UploadedFunctionOutputsBlob = uploadedOutputs,
    });

    /// <summary>The output is the child call <paramref name="durableId"/>, created (and acknowledged) in the batch before; no outputs BLOB.</summary>
    public static AllocationExecutionEvent TailCall(string durableId) => Finish(new AllocationExecutionEventFinishAllocation
    {
        OutcomeCode = AllocationOutcomeCode.Success,
        TailCallDurableId = durableId,
    });

    public static AllocationExecutionEvent Failure(AllocationFailureReason reason) => Finish(new AllocationExecutionEventFinishAllocation
    {
        OutcomeCode = AllocationOutcomeCode.Failure,
        FailureReason = reason,
    });

    public static AllocationExecutionEvent RequestError(SerializedObjectInsideBLOB requestErrorOutput, BLOB uploadedRequestErrorBlob) => Finish(new AllocationExecutionEventFinishAllocation
    {
        OutcomeCode = AllocationOutcomeCode.Failure,
        FailureReason = AllocationFailureReason.RequestError,
        RequestErrorOutput = requestErrorOutput,
        UploadedRequestErrorBlob = uploadedRequestErrorBlob,
    });

    /// <summary>"OUTCOME [REASON]" of a finish, as the lifecycle lines print it.</summary>
    public static string Describe(AllocationExecutionEventFinishAllocation finish)
        => $"{finish.OutcomeCode}{(finish.HasFailureReason ? " " + finish.FailureReason : string.Empty)}{(finish.OutputsCase == AllocationExecutionEventFinishAllocation.OutputsOneofCase.TailCallDurableId ? " tail call " + finish.TailCallDurableId : string.Empty)}";

    public static string Describe(AllocationExecutionEvent executionEvent) => executionEvent.EventCase switch
    {
        AllocationExecutionEvent.EventOneofCase.CreateFunctionCall =>
            $"create_function_call {executionEvent.CreateFunctionCall.Updates.RootFunctionCallId} ({string.Join(' ', executionEvent.CreateFunctionCall.Updates.Updates.Select(u => u.FunctionCall?.Target?.FunctionName))})",
        AllocationExecutionEvent.EventOneofCase.FunctionCallCreationFailed => $"function_call_creation_failed {executionEvent.FunctionCallCreationFailed.FunctionCallId}",
        AllocationExecutionEvent.EventOneofCase.CreateFunctionCallWatcher =>
            $"create_function_call_watcher {executionEvent.CreateFunctionCallWatcher.FunctionCallId}{(executionEvent.CreateFunctionCallWatcher.Deadline is { } deadline ? " deadline " + deadline.ToDateTime().ToString("O", System.Globalization.CultureInfo.InvariantCulture) : string.Empty)}",
        AllocationExecutionEvent.EventOneofCase.FinishAllocation => "finish_allocation " + Describe(executionEvent.FinishAllocation),
        _ => "unknown",
    };

    private static AllocationExecutionEvent Finish(AllocationExecutionEventFinishAllocation finish) => new() { FinishAllocation = finish };
}

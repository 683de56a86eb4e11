using Executor.Protocol.FunctionExecutorV1;

namespace TestFunctionExecutor;

/// <summary>
/// How the scripted function ended, independent of the protocol: 0.1.2 reports it as
/// AllocationState.result, 0.1.3 as a finish_allocation execution event.
/// </summary>
internal abstract record FunctionOutcome
{
    /// <summary>A value uploaded into an executor-supplied output BLOB.</summary>
    public sealed record Value(SerializedObjectInsideBLOB Output, BLOB Uploaded) : FunctionOutcome;

    /// <summary>The function's output is this child call (0.1.2: AllocationResult.updates; 0.1.3: create, then finish with tail_call_durable_id).</summary>
    public sealed record TailCall(ChildCallSpec Call) : FunctionOutcome;

    /// <summary>FAILURE with this reason and no outputs.</summary>
    public sealed record Failure(AllocationFailureReason Reason) : FunctionOutcome;

    /// <summary>FAILURE + REQUEST_ERROR with the message written into inputs.request_error_blob.</summary>
    public sealed record RequestError(SerializedObjectInsideBLOB Output, BLOB Uploaded) : FunctionOutcome;
}

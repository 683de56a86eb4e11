using Executor.Protocol.ServerV1;

namespace FakeIndexifyServer;

/// <summary>
/// What a function run the fake knows currently looks like, as reported in function_call_results:
/// unfinished (UNKNOWN), finished with a value, finished by a tail call (SUCCESS without value), or failed.
/// </summary>
public sealed record FunctionCallOutcome
{
    private FunctionCallOutcome(AllocationOutcomeCode code, AllocationFailureReason? failureReason, DataPayload? returnValue, DataPayload? requestError)
    {
        Code = code;
        FailureReason = failureReason;
        ReturnValue = returnValue;
        RequestError = requestError;
    }

    public AllocationOutcomeCode Code { get; }

    public AllocationFailureReason? FailureReason { get; }

    public DataPayload? ReturnValue { get; }

    public DataPayload? RequestError { get; }

    /// <summary>Known but not finished: reported with outcome UNKNOWN.</summary>
    public static FunctionCallOutcome Pending { get; } = new(AllocationOutcomeCode.Unknown, null, null, null);

    /// <summary>Finished by returning a tail call: SUCCESS without return_value until the chain produces a value.</summary>
    public static FunctionCallOutcome TailCall { get; } = new(AllocationOutcomeCode.Success, null, null, null);

    public static FunctionCallOutcome Success(DataPayload returnValue) =>
        new(AllocationOutcomeCode.Success, null, returnValue.Clone(), null);

    public static FunctionCallOutcome Failure(AllocationFailureReason reason, DataPayload? requestError = null) =>
        new(AllocationOutcomeCode.Failure, reason, null, requestError?.Clone());

    /// <summary>The outcome an accepted allocation result implies for its function call.</summary>
    internal static FunctionCallOutcome FromResult(AllocationResult result) => result.OutcomeCode switch
    {
        AllocationOutcomeCode.Success when result.ReturnValueCase == AllocationResult.ReturnValueOneofCase.Value => Success(result.Value),
        AllocationOutcomeCode.Success => TailCall,
        AllocationOutcomeCode.Failure => Failure(result.HasFailureReason ? result.FailureReason : AllocationFailureReason.Unknown, result.RequestError),
        _ => Pending,
    };

    /// <summary>The wire entry; payloads carry no content_type, as on the real server.</summary>
    internal FunctionCallResult ToWire(string @namespace, string requestId, string functionCallId)
    {
        var wire = new FunctionCallResult
        {
            Namespace = @namespace,
            RequestId = requestId,
            FunctionCallId = functionCallId,
            OutcomeCode = Code,
        };
        if (FailureReason is { } reason)
        {
            wire.FailureReason = reason;
        }

        if (ReturnValue is not null)
        {
            wire.ReturnValue = WithoutContentType(ReturnValue);
        }

        if (RequestError is not null)
        {
            wire.RequestError = WithoutContentType(RequestError);
        }

        return wire;
    }

    private static DataPayload WithoutContentType(DataPayload payload)
    {
        var copy = payload.Clone();
        copy.ClearContentType();
        return copy;
    }
}

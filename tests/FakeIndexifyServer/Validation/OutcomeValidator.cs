using Executor.Protocol.ServerV2;

namespace FakeIndexifyServer.Validation;

/// <summary>
/// The fields the v2 server needs before it looks an outcome up: function (namespace, application_name,
/// function_name), request_id and function_call_id. allocation_id is not checked: an empty one is just not found.
/// </summary>
internal static class OutcomeValidator
{
    public static string? FindMissingField(AllocationOutcome outcome) => outcome.OutcomeCase switch
    {
        AllocationOutcome.OutcomeOneofCase.Completed => FindMissingField("AllocationCompleted", outcome.Completed.Function, outcome.Completed.HasRequestId, outcome.Completed.HasFunctionCallId),
        AllocationOutcome.OutcomeOneofCase.Failed => Enum.IsDefined(outcome.Failed.Reason)
            ? FindMissingField("AllocationFailed", outcome.Failed.Function, outcome.Failed.HasRequestId, outcome.Failed.HasFunctionCallId)
            : $"AllocationFailed has an invalid reason {(int)outcome.Failed.Reason}",
        _ => "AllocationOutcome missing outcome",
    };

    private static string? FindMissingField(string kind, FunctionRef? function, bool hasRequestId, bool hasFunctionCallId) =>
        function is null ? $"{kind} missing function"
        : !function.HasNamespace ? $"{kind} missing function.namespace"
        : !function.HasApplicationName ? $"{kind} missing function.application_name"
        : !function.HasFunctionName ? $"{kind} missing function.function_name"
        : !hasRequestId ? $"{kind} missing request_id"
        : !hasFunctionCallId ? $"{kind} missing function_call_id"
        : null;
}

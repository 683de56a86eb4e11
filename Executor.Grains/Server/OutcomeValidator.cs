using Executor.Model;

namespace Executor.Server;

/// <summary>
/// Checks what the executor sends (allocation outcomes, call graphs, payload references) against the Servers'
/// parsing rules before it goes out, for both protocols. A v1 Server rejects a whole report for one malformed
/// result; a v2 Server answers INTERNAL for the whole heartbeat, or silently never applies an item whose ids are
/// empty. Either way the executor would resend it forever, so nothing malformed may be queued.
/// </summary>
public static class OutcomeValidator
{
    public static string? Validate(AllocationOutcome outcome)
    {
        if (outcome.Function is not { } function || function.Namespace is null || function.Application is null || function.Function is null)
        {
            return "function ref is required";
        }

        if (outcome.Outcome is not (OutcomeCode.Success or OutcomeCode.Failure))
        {
            return "outcome must be SUCCESS or FAILURE";
        }

        if (outcome.FailureReason is { } reason && !Enum.IsDefined(reason))
        {
            return "failure reason out of range";
        }

        if (outcome.Value is not null && ValidatePayload(outcome.Value) is { } valueError)
        {
            return "value: " + valueError;
        }

        if (outcome.RequestError is not null && ValidatePayload(outcome.RequestError) is { } requestError)
        {
            return "request_error: " + requestError;
        }

        return outcome.Updates is null ? null : ValidateCallGraph(outcome.Updates);
    }

    /// <summary>A call graph as the Servers parse it: a root id, and every node fully addressed with sourced args.</summary>
    public static string? ValidateCallGraph(CallGraph graph)
    {
        if (string.IsNullOrEmpty(graph.RootFunctionCallId))
        {
            // v2 would invent one, but then cannot route the result back to the caller.
            return "updates.root_function_call_id is required";
        }

        foreach (var node in graph.Nodes)
        {
            if (node is null)
            {
                return "update without op";
            }

            if (string.IsNullOrEmpty(node.Id) || node.Target is not { } target || string.IsNullOrEmpty(target.Namespace) || string.IsNullOrEmpty(target.Function))
            {
                return node.IsReduce ? "reduce needs id and reducer namespace/function_name" : "function call needs id and target namespace/function_name";
            }

            if (node.IsReduce && node.CallMetadata is null)
            {
                return "reduce needs call_metadata";
            }

            foreach (var arg in node.Args)
            {
                if (arg is null || (arg.FunctionCallId is null && arg.Inline is null))
                {
                    return "function call arg needs a source";
                }

                if (arg.Inline is not null && ValidatePayload(arg.Inline) is { } argError)
                {
                    return "function call arg: " + argError;
                }
            }
        }

        return null;
    }

    public static string? ValidatePayload(DataPayloadRef payload)
    {
        if (string.IsNullOrEmpty(payload.Uri))
        {
            return "uri is required";
        }

        if (payload.Sha256 is null)
        {
            return "sha256_hash is required";
        }

        return Enum.IsDefined(payload.Encoding) ? null : "a known encoding is required";
    }
}

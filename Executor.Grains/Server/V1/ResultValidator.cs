using ProtoV1 = Executor.Protocol.ServerV1;

namespace Executor.Server.V1;

/// <summary>
/// The Server rejects a whole report (INTERNAL) if one result is malformed, so every result is checked
/// against the Server's parsing rules before it goes out.
/// </summary>
internal static class ResultValidator
{
    public static string? Validate(ProtoV1.AllocationResult result)
    {
        if (result.Function is null)
        {
            return "function ref is required";
        }

        if (!Enum.IsDefined(result.OutcomeCode) || result.OutcomeCode == ProtoV1.AllocationOutcomeCode.Unknown)
        {
            return "outcome_code must be SUCCESS or FAILURE";
        }

        if (result.HasFailureReason && !Enum.IsDefined(result.FailureReason))
        {
            return "failure_reason out of range";
        }

        if (result.Value is not null && ValidatePayload(result.Value) is { } valueError)
        {
            return "value: " + valueError;
        }

        if (result.RequestError is not null && ValidatePayload(result.RequestError) is { } errorError)
        {
            return "request_error: " + errorError;
        }

        return result.Updates is null ? null : ValidateUpdates(result.Updates);
    }

    public static string? ValidateUpdates(ProtoV1.ExecutionPlanUpdates updates)
    {
        if (!updates.HasRootFunctionCallId || updates.RootFunctionCallId.Length == 0)
        {
            return "updates.root_function_call_id is required";
        }

        foreach (var update in updates.Updates)
        {
            switch (update.OpCase)
            {
                case ProtoV1.ExecutionPlanUpdate.OpOneofCase.FunctionCall:
                    var call = update.FunctionCall;
                    if (!call.HasId || call.Target is not { HasNamespace: true, HasFunctionName: true })
                    {
                        return "function call needs id and target namespace/function_name";
                    }

                    if (call.Args.Any(a => a.SourceCase == ProtoV1.FunctionArg.SourceOneofCase.None || (a.InlineData is not null && ValidatePayload(a.InlineData) is not null)))
                    {
                        return "function call arg needs a source";
                    }

                    break;
                case ProtoV1.ExecutionPlanUpdate.OpOneofCase.Reduce:
                    var reduce = update.Reduce;
                    if (!reduce.HasId || !reduce.HasCallMetadata || reduce.Reducer is not { HasNamespace: true, HasFunctionName: true })
                    {
                        return "reduce needs id, call_metadata and reducer namespace/function_name";
                    }

                    if (reduce.Collection.Any(a => a.SourceCase == ProtoV1.FunctionArg.SourceOneofCase.None))
                    {
                        return "reduce collection item needs a source";
                    }

                    break;
                default:
                    return "update without op";
            }
        }

        return null;
    }

    private static string? ValidatePayload(ProtoV1.DataPayload payload)
    {
        if (!payload.HasUri || payload.Uri.Length == 0)
        {
            return "uri is required";
        }

        if (!payload.HasSize)
        {
            return "size is required";
        }

        if (!payload.HasSha256Hash)
        {
            return "sha256_hash is required";
        }

        return payload.HasEncoding && Enum.IsDefined(payload.Encoding) ? null : "a known encoding is required";
    }
}

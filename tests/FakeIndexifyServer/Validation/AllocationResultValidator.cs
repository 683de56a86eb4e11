using Executor.Protocol.ServerV1;

namespace FakeIndexifyServer.Validation;

/// <summary>
/// The server's strict parsing of allocation results (step 7). Any error fails the whole report with INTERNAL
/// and nothing from it is recorded.
/// </summary>
internal static class AllocationResultValidator
{
    public static string? FindError(IEnumerable<AllocationResult> results)
    {
        foreach (var result in results)
        {
            if (FindError(result) is { } error)
            {
                return $"allocation {(result.HasAllocationId ? result.AllocationId : "(no id)")}: {error}";
            }
        }

        return null;
    }

    private static string? FindError(AllocationResult result)
    {
        if (result.Function is null)
        {
            return "function ref is required";
        }

        if (result.HasOutcomeCode && !Enum.IsDefined(result.OutcomeCode))
        {
            return $"invalid outcome code {(int)result.OutcomeCode}";
        }

        if (result.HasFailureReason && !Enum.IsDefined(result.FailureReason))
        {
            return $"invalid failure reason {(int)result.FailureReason}";
        }

        return FindOutputError(result, requireRootFunctionCallId: true);
    }

    /// <summary>The value, tail-call updates and request error, as converted for ingestion.</summary>
    public static string? FindOutputError(AllocationResult result, bool requireRootFunctionCallId)
    {
        var returnValueError = result.ReturnValueCase switch
        {
            AllocationResult.ReturnValueOneofCase.Value => FindPayloadError(result.Value),
            AllocationResult.ReturnValueOneofCase.Updates => ExecutionPlanUpdatesValidator.FindError(result.Updates, requireRootFunctionCallId),
            _ => null,
        };
        if (returnValueError is not null)
        {
            return returnValueError;
        }

        return result.RequestError is { } requestError ? FindPayloadError(requestError) : null;
    }

    /// <summary>Result payloads need uri, size, sha256_hash and a known encoding.</summary>
    public static string? FindPayloadError(DataPayload payload) =>
        !payload.HasUri ? "uri is required"
        : !payload.HasSize ? "size is required"
        : !payload.HasSha256Hash ? "sha256_hash is required"
        : !payload.HasEncoding ? "encoding is required"
        : !Enum.IsDefined(payload.Encoding) ? $"invalid encoding {(int)payload.Encoding}"
        : null;
}

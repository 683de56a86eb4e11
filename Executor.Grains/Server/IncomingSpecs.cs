using Executor.Model;
using Executor.Server.V1;
using ProtoV1 = Executor.Protocol.ServerV1;

namespace Executor.Server;

/// <summary>
/// Validation (upstream's presence rules) and domain mapping of what the Server sends in both protocols: FE /
/// container descriptions, allocations and function-call results. Written against the v1 messages; protocol v2
/// re-reads its ContainerDescription, Allocation and FunctionCallResult as these v1 twins, which have the same
/// field numbers and types (the wire contract's v2 table lists only renames), so both protocols share one rule set.
/// </summary>
internal static class IncomingSpecs
{
    public static string? ValidateDescription(ProtoV1.FunctionExecutorDescription d)
    {
        if (!d.HasId || d.Id.Length == 0)
        {
            return "id is required";
        }

        if (d.Function is not { HasNamespace: true, HasApplicationName: true, HasFunctionName: true })
        {
            return "function with namespace, application_name and function_name is required";
        }

        if (!d.HasInitializationTimeoutMs)
        {
            return "initialization_timeout_ms is required";
        }

        if (d.Application is null)
        {
            return "application is required";
        }

        if (ValidatePayload(d.Application) is { } payloadError)
        {
            return "application: " + payloadError;
        }

        if (d.Resources is not { HasCpuMsPerSec: true, HasMemoryBytes: true, HasDiskBytes: true })
        {
            return "resources with cpu_ms_per_sec, memory_bytes and disk_bytes are required";
        }

        if (d.Resources.Gpu is { } gpu && (!gpu.HasCount || !gpu.HasModel))
        {
            return "resources.gpu needs count and model";
        }

        if (!d.HasMaxConcurrency)
        {
            return "max_concurrency is required";
        }

        return d.HasAllocationTimeoutMs ? null : "allocation_timeout_ms is required";
    }

    public static string? ValidateAllocation(ProtoV1.Allocation a)
    {
        if (a.Function is not { HasNamespace: true, HasApplicationName: true, HasFunctionName: true })
        {
            return "function with namespace, application_name and function_name is required";
        }

        if (!a.HasAllocationId || a.AllocationId.Length == 0)
        {
            return "allocation_id is required";
        }

        if (!a.HasFunctionCallId)
        {
            return "function_call_id is required";
        }

        if (!a.HasRequestId)
        {
            return "request_id is required";
        }

        for (var i = 0; i < a.Args.Count; i++)
        {
            if (ValidatePayload(a.Args[i]) is { } argError)
            {
                return $"args[{i}]: {argError}";
            }
        }

        if (!a.HasRequestDataPayloadUriPrefix)
        {
            return "request_data_payload_uri_prefix is required";
        }

        if (!a.HasRequestErrorPayloadUriPrefix)
        {
            return "request_error_payload_uri_prefix is required";
        }

        if (!a.HasFunctionExecutorId || a.FunctionExecutorId.Length == 0)
        {
            return "function_executor_id is required";
        }

        return a.HasFunctionCallMetadata ? null : "function_call_metadata is required (may be empty)";
    }

    public static string? ValidatePayload(ProtoV1.DataPayload p)
    {
        if (!p.HasUri)
        {
            return "uri is required";
        }

        if (!p.HasEncoding || !Enum.IsDefined(p.Encoding))
        {
            return "a known encoding is required";
        }

        if (!p.HasEncodingVersion)
        {
            return "encoding_version is required";
        }

        if (!p.HasOffset)
        {
            return "offset is required";
        }

        if (!p.HasSize)
        {
            return "size is required";
        }

        return p.HasSha256Hash ? null : "sha256_hash is required";
    }

    /// <summary>Enough identity to send a FAILURE result the Server can match to its allocation.</summary>
    public static bool IsAnswerable(ProtoV1.Allocation a) =>
        a.Function is { HasNamespace: true, HasApplicationName: true, HasFunctionName: true }
        && a.HasAllocationId && a.AllocationId.Length > 0 && a.HasFunctionCallId && a.HasRequestId;

    /// <summary>The INTERNAL_ERROR outcome of an allocation too malformed to run (only when <see cref="IsAnswerable"/>).</summary>
    public static AllocationOutcome Unrunnable(ProtoV1.Allocation a) => new()
    {
        AllocationId = a.AllocationId,
        FunctionExecutorId = a.HasFunctionExecutorId ? a.FunctionExecutorId : string.Empty,
        Function = WireMapping.ToDomain(a.Function),
        FunctionCallId = a.FunctionCallId,
        RequestId = a.RequestId,
        Outcome = OutcomeCode.Failure,
        FailureReason = AllocationFailureReason.InternalError,
    };

    public static FunctionExecutorSpec ToSpec(ProtoV1.FunctionExecutorDescription d) => new()
    {
        Id = d.Id,
        Function = WireMapping.ToDomain(d.Function),
        SecretNames = [.. d.SecretNames],
        InitializationTimeoutMs = d.InitializationTimeoutMs,
        Application = WireMapping.ToDomain(d.Application),
        Resources = new Model.FunctionExecutorResources(
            d.Resources.CpuMsPerSec,
            d.Resources.MemoryBytes,
            d.Resources.DiskBytes,
            d.Resources.Gpu is { } gpu ? new GpuRequest(gpu.Count, (GpuModel)(int)gpu.Model) : null),
        MaxConcurrency = d.MaxConcurrency,
        AllocationTimeoutMs = d.AllocationTimeoutMs,
        IsSandbox = d.ContainerType == ProtoV1.FunctionExecutorType.Sandbox,
    };

    public static AllocationSpec ToSpec(ProtoV1.Allocation a) => new()
    {
        AllocationId = a.AllocationId,
        FunctionExecutorId = a.FunctionExecutorId,
        Function = WireMapping.ToDomain(a.Function),
        FunctionCallId = a.FunctionCallId,
        RequestId = a.RequestId,
        Args = a.Args.Count == 0 ? [] : [.. a.Args.Select(WireMapping.ToDomain)],
        RequestDataPayloadUriPrefix = a.RequestDataPayloadUriPrefix,
        RequestErrorPayloadUriPrefix = a.RequestErrorPayloadUriPrefix,
        FunctionCallMetadata = a.FunctionCallMetadata.ToByteArray(),
    };

    /// <summary>A watched call's result, or null with the reason it is unusable.</summary>
    public static FunctionCallResultSpec? ReadFunctionCallResult(ProtoV1.FunctionCallResult result, out string? error)
    {
        if (!result.HasNamespace || !result.HasRequestId || !result.HasFunctionCallId)
        {
            error = "namespace, request_id and function_call_id are required";
            return null;
        }

        if ((result.ReturnValue is not null && ValidatePayload(result.ReturnValue) is not null) || (result.RequestError is not null && ValidatePayload(result.RequestError) is not null))
        {
            error = "malformed payload";
            return null;
        }

        error = null;
        return new FunctionCallResultSpec
        {
            Namespace = result.Namespace,
            RequestId = result.RequestId,
            FunctionCallId = result.FunctionCallId,
            Outcome = Enum.IsDefined((OutcomeCode)(int)result.OutcomeCode) ? (OutcomeCode)(int)result.OutcomeCode : OutcomeCode.Unknown,
            // v2 adds STARTUP_FAILED_BAD_IMAGE (13), which has no domain value: a failure is what the caller needs to know.
            FailureReason = result.HasFailureReason
                ? Enum.IsDefined((AllocationFailureReason)(int)result.FailureReason) ? (AllocationFailureReason)(int)result.FailureReason : AllocationFailureReason.InternalError
                : null,
            ReturnValue = result.ReturnValue is null ? null : WireMapping.ToDomain(result.ReturnValue),
            RequestError = result.RequestError is null ? null : WireMapping.ToDomain(result.RequestError),
        };
    }
}

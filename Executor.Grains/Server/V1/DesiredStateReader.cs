using Executor.Model;
using Microsoft.Extensions.Logging;
using ProtoV1 = Executor.Protocol.ServerV1;

namespace Executor.Server.V1;

/// <summary>
/// Validates a v1 DesiredExecutorState piece by piece (upstream's presence rules, plus duplicate ids) and
/// maps the valid pieces to the domain. A bad piece is logged, counted and dropped; the rest still applies.
/// </summary>
internal sealed partial class DesiredStateReader(ILogger logger)
{
    // Allocations are immutable once the Server created them: a spec mapped from one snapshot is reused by id in
    // the next, so a snapshot that changes one allocation out of 10,000 costs hash lookups, not 10,000 mappings.
    private Dictionary<string, AllocationSpec> _knownAllocations = new(StringComparer.Ordinal);

    public long RejectedTotal { get; private set; }

    public DesiredState Read(ProtoV1.DesiredExecutorState message, IDictionary<string, ProtoV1.FunctionExecutorDescription> descriptionCache)
    {
        var rejected = 0;
        var executors = new List<FunctionExecutorSpec>(message.FunctionExecutors.Count);
        var executorIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var description in message.FunctionExecutors)
        {
            var error = ValidateDescription(description);
            if (error is null && !executorIds.Add(description.Id))
            {
                error = "duplicate function executor id";
            }

            if (error is not null)
            {
                rejected++;
                LogInvalidFunctionExecutor(logger, description.HasId ? description.Id : "(none)", error);
                continue;
            }

            descriptionCache.TryAdd(description.Id, description);
            executors.Add(ToSpec(description));
        }

        var allocations = new List<AllocationSpec>(message.Allocations.Count);
        var failed = new List<AllocationOutcome>();
        var allocationIds = new HashSet<string>(message.Allocations.Count, StringComparer.Ordinal);
        var known = new Dictionary<string, AllocationSpec>(message.Allocations.Count, StringComparer.Ordinal);
        foreach (var allocation in message.Allocations)
        {
            if (allocation.HasAllocationId && _knownAllocations.TryGetValue(allocation.AllocationId, out var previous) && allocationIds.Add(allocation.AllocationId))
            {
                known[allocation.AllocationId] = previous;
                allocations.Add(previous);
                continue;
            }

            var error = ValidateAllocation(allocation);
            if (error is null && !allocationIds.Add(allocation.AllocationId))
            {
                // The first copy runs; a second one with the same id is never a second run.
                rejected++;
                LogInvalidAllocation(logger, allocation.AllocationId, "duplicate allocation id");
                continue;
            }

            if (error is not null)
            {
                rejected++;
                LogInvalidAllocation(logger, allocation.HasAllocationId ? allocation.AllocationId : "(none)", error);
                if (IsAnswerable(allocation) && allocationIds.Add(allocation.AllocationId))
                {
                    failed.Add(new AllocationOutcome
                    {
                        AllocationId = allocation.AllocationId,
                        FunctionExecutorId = allocation.HasFunctionExecutorId ? allocation.FunctionExecutorId : string.Empty,
                        Function = WireMapping.ToDomain(allocation.Function),
                        FunctionCallId = allocation.FunctionCallId,
                        RequestId = allocation.RequestId,
                        Outcome = OutcomeCode.Failure,
                        FailureReason = AllocationFailureReason.InternalError,
                    });
                }

                continue;
            }

            var spec = ToSpec(allocation);
            known[spec.AllocationId] = spec;
            allocations.Add(spec);
        }

        _knownAllocations = known;

        var results = new List<FunctionCallResultSpec>(message.FunctionCallResults.Count);
        foreach (var result in message.FunctionCallResults)
        {
            if (!result.HasNamespace || !result.HasRequestId || !result.HasFunctionCallId)
            {
                rejected++;
                LogInvalidFunctionCallResult(logger, result.HasFunctionCallId ? result.FunctionCallId : "(none)", "namespace, request_id and function_call_id are required");
                continue;
            }

            if ((result.ReturnValue is not null && ValidatePayload(result.ReturnValue) is { } e1) || (result.RequestError is not null && ValidatePayload(result.RequestError) is { } e2))
            {
                rejected++;
                LogInvalidFunctionCallResult(logger, result.FunctionCallId, "malformed payload");
                continue;
            }

            results.Add(new FunctionCallResultSpec
            {
                Namespace = result.Namespace,
                RequestId = result.RequestId,
                FunctionCallId = result.FunctionCallId,
                Outcome = Enum.IsDefined((OutcomeCode)(int)result.OutcomeCode) ? (OutcomeCode)(int)result.OutcomeCode : OutcomeCode.Unknown,
                FailureReason = result.HasFailureReason ? (AllocationFailureReason)(int)result.FailureReason : null,
                ReturnValue = result.ReturnValue is null ? null : WireMapping.ToDomain(result.ReturnValue),
                RequestError = result.RequestError is null ? null : WireMapping.ToDomain(result.RequestError),
            });
        }

        RejectedTotal += rejected;
        return new DesiredState
        {
            FunctionExecutors = executors,
            Allocations = allocations,
            Clock = message.Clock,
            FunctionCallResults = results,
            RejectedPieces = rejected,
            RejectedAllocations = failed,
        };
    }

    internal static string? ValidateDescription(ProtoV1.FunctionExecutorDescription d)
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

    internal static string? ValidateAllocation(ProtoV1.Allocation a)
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

    internal static string? ValidatePayload(ProtoV1.DataPayload p)
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

    // Enough identity to send a FAILURE result the Server can match to its allocation.
    private static bool IsAnswerable(ProtoV1.Allocation a) =>
        a.Function is { HasNamespace: true, HasApplicationName: true, HasFunctionName: true }
        && a.HasAllocationId && a.AllocationId.Length > 0 && a.HasFunctionCallId && a.HasRequestId;

    private static FunctionExecutorSpec ToSpec(ProtoV1.FunctionExecutorDescription d) => new()
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

    private static AllocationSpec ToSpec(ProtoV1.Allocation a) => new()
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

    [LoggerMessage(1, LogLevel.Error, "received invalid FunctionExecutorDescription from Server, dropping it from desired state: {FunctionExecutorId}: {Reason}")]
    private static partial void LogInvalidFunctionExecutor(ILogger logger, string functionExecutorId, string reason);

    [LoggerMessage(2, LogLevel.Error, "received invalid Allocation from Server, dropping it from desired state: {AllocationId}: {Reason}")]
    private static partial void LogInvalidAllocation(ILogger logger, string allocationId, string reason);

    [LoggerMessage(3, LogLevel.Error, "received invalid FunctionCallResult from Server, ignoring it: {FunctionCallId}: {Reason}")]
    private static partial void LogInvalidFunctionCallResult(ILogger logger, string functionCallId, string reason);
}

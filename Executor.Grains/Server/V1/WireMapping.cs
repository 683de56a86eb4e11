using Executor.Model;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using ProtoV1 = Executor.Protocol.ServerV1;

namespace Executor.Server.V1;

/// <summary>Protocol v1 wire types to and from the executor's domain model. Presence-aware: proto3 optional fields use HasX.</summary>
internal static class WireMapping
{
    public static Model.FunctionRef ToDomain(ProtoV1.FunctionRef f) =>
        new(f.Namespace, f.ApplicationName, f.FunctionName, f.HasApplicationVersion ? f.ApplicationVersion : null);

    public static ProtoV1.FunctionRef ToWire(Model.FunctionRef f, bool versionPresentEvenIfEmpty)
    {
        var wire = new ProtoV1.FunctionRef { Namespace = f.Namespace, ApplicationName = f.Application, FunctionName = f.Function };
        if (f.Version is not null)
        {
            wire.ApplicationVersion = f.Version;
        }
        else if (versionPresentEvenIfEmpty)
        {
            // Upstream copies the allocation's ref into results, where the version is present and empty.
            wire.ApplicationVersion = string.Empty;
        }

        return wire;
    }

    public static DataPayloadRef ToDomain(ProtoV1.DataPayload p) => new()
    {
        Uri = p.Uri,
        Encoding = (PayloadEncoding)(int)p.Encoding,
        EncodingVersion = p.EncodingVersion,
        ContentType = p.HasContentType ? p.ContentType : null,
        MetadataSize = p.MetadataSize,
        Offset = p.Offset,
        Size = p.Size,
        Sha256 = p.Sha256Hash,
        SourceFunctionCallId = p.HasSourceFunctionCallId ? p.SourceFunctionCallId : null,
        Id = p.HasId ? p.Id : null,
    };

    public static ProtoV1.DataPayload ToWire(DataPayloadRef p)
    {
        var wire = new ProtoV1.DataPayload
        {
            Uri = p.Uri,
            Encoding = (ProtoV1.DataPayloadEncoding)(int)p.Encoding,
            EncodingVersion = p.EncodingVersion,
            MetadataSize = p.MetadataSize,
            Offset = p.Offset,
            Size = p.Size,
            Sha256Hash = p.Sha256,
            // Upstream always sets it, empty when the payload has no source call.
            SourceFunctionCallId = p.SourceFunctionCallId ?? string.Empty,
        };
        if (p.ContentType is not null)
        {
            wire.ContentType = p.ContentType;
        }

        if (p.Id is not null)
        {
            wire.Id = p.Id;
        }

        return wire;
    }

    public static ProtoV1.ExecutionPlanUpdates ToWire(CallGraph graph)
    {
        var wire = new ProtoV1.ExecutionPlanUpdates { RootFunctionCallId = graph.RootFunctionCallId };
        if (graph.StartAt is { } startAt)
        {
            wire.StartAt = Timestamp.FromDateTimeOffset(startAt);
        }

        foreach (var node in graph.Nodes)
        {
            var update = new ProtoV1.ExecutionPlanUpdate();
            if (node.IsReduce)
            {
                var reduce = new ProtoV1.ReduceOp();
                if (node.Id is not null)
                {
                    reduce.Id = node.Id;
                }

                if (node.Target is not null)
                {
                    reduce.Reducer = ToWire(node.Target, versionPresentEvenIfEmpty: false);
                }

                if (node.CallMetadata is not null)
                {
                    reduce.CallMetadata = ByteString.CopyFrom(node.CallMetadata);
                }

                reduce.Collection.AddRange(node.Args.Select(ToWire));
                update.Reduce = reduce;
            }
            else
            {
                var call = new ProtoV1.FunctionCall();
                if (node.Id is not null)
                {
                    call.Id = node.Id;
                }

                if (node.Target is not null)
                {
                    call.Target = ToWire(node.Target, versionPresentEvenIfEmpty: false);
                }

                if (node.CallMetadata is not null)
                {
                    call.CallMetadata = ByteString.CopyFrom(node.CallMetadata);
                }

                call.Args.AddRange(node.Args.Select(ToWire));
                update.FunctionCall = call;
            }

            wire.Updates.Add(update);
        }

        return wire;
    }

    private static ProtoV1.FunctionArg ToWire(CallArg arg) => arg.Inline is not null
        ? new ProtoV1.FunctionArg { InlineData = ToWire(arg.Inline) }
        : arg.FunctionCallId is not null ? new ProtoV1.FunctionArg { FunctionCallId = arg.FunctionCallId } : new ProtoV1.FunctionArg();

    public static ProtoV1.AllocationResult ToWire(AllocationOutcome outcome)
    {
        var wire = new ProtoV1.AllocationResult
        {
            Function = ToWire(outcome.Function, versionPresentEvenIfEmpty: true),
            AllocationId = outcome.AllocationId,
            FunctionCallId = outcome.FunctionCallId,
            RequestId = outcome.RequestId,
            OutcomeCode = (ProtoV1.AllocationOutcomeCode)(int)outcome.Outcome,
        };
        if (outcome.FailureReason is { } reason)
        {
            wire.FailureReason = (ProtoV1.AllocationFailureReason)(int)reason;
        }

        if (outcome.Value is not null)
        {
            wire.Value = ToWire(outcome.Value);
        }
        else if (outcome.Updates is not null)
        {
            wire.Updates = ToWire(outcome.Updates);
        }

        if (outcome.RequestError is not null)
        {
            wire.RequestError = ToWire(outcome.RequestError);
        }

        if (outcome.ExecutionDurationMs is { } duration)
        {
            wire.ExecutionDurationMs = duration;
        }

        return wire;
    }

    public static ProtoV1.FunctionCallRequest ToWire(FunctionCallRequestSpec request) => new()
    {
        Namespace = request.Namespace,
        Application = request.Application,
        RequestId = request.RequestId,
        SourceFunctionCallId = request.SourceFunctionCallId,
        Updates = ToWire(request.Updates),
    };

    public static ProtoV1.FunctionCallWatch ToWire(FunctionCallWatch watch) => new()
    {
        Namespace = watch.Namespace,
        Application = watch.Application,
        RequestId = watch.RequestId,
        FunctionCallId = watch.FunctionCallId,
    };

    public static ProtoV1.HostResources ToWire(HostCapacity capacity)
    {
        var wire = new ProtoV1.HostResources { CpuCount = capacity.CpuCount, MemoryBytes = capacity.MemoryBytes, DiskBytes = capacity.DiskBytes };
        if (capacity.Gpu is { Count: > 0, Model: not GpuModel.Unknown } gpu)
        {
            wire.Gpu = new ProtoV1.GPUResources { Count = gpu.Count, Model = (ProtoV1.GPUModel)(int)gpu.Model };
        }

        return wire;
    }

    public static ProtoV1.AllowedFunction ToWireAllowed(Model.FunctionRef f)
    {
        var wire = new ProtoV1.AllowedFunction { Namespace = f.Namespace, ApplicationName = f.Application, FunctionName = f.Function };
        if (f.Version is not null)
        {
            wire.ApplicationVersion = f.Version;
        }

        return wire;
    }

    public static ProtoV1.ExecutorStatus ToWire(ExecutorStatus status) => (ProtoV1.ExecutorStatus)(int)status;
}

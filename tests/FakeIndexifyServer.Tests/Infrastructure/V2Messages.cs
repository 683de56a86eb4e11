using Google.Protobuf;
using Executor.Protocol.ServerV2;

namespace FakeIndexifyServer.Tests.Infrastructure;

/// <summary>Builders for protocol v2 executor-side messages, shaped like the Rust dataplane's.</summary>
internal static class V2Messages
{
    public static HeartbeatRequest Heartbeat(string executorId, ExecutorStatus status = ExecutorStatus.Running) =>
        new() { ExecutorId = executorId, Status = status };

    public static HeartbeatRequest FullState(string executorId, params ContainerState[] containers)
    {
        var request = Heartbeat(executorId);
        request.FullState = new DataplaneStateFullSync
        {
            Hostname = "test-host",
            Version = "0.2.0",
            TotalResources = new HostResources { CpuCount = 4, MemoryBytes = 8UL << 30, DiskBytes = 100UL << 30 },
            TotalContainerResources = new HostResources { CpuCount = 4, MemoryBytes = 8UL << 30, DiskBytes = 100UL << 30 },
        };
        request.FullState.ContainerStates.AddRange(containers);
        return request;
    }

    /// <summary>A v1 description as the container the executor reports.</summary>
    public static ContainerState Container(Executor.Protocol.ServerV1.FunctionExecutorDescription description, ContainerStatus status, ContainerTerminationReason? reason = null)
    {
        var state = new ContainerState { Description = ContainerDescription.Parser.ParseFrom(description.ToByteString()), Status = status };
        if (reason is { } terminated)
        {
            state.TerminationReason = terminated;
        }

        return state;
    }

    public static CommandResponse Started(string containerId) => new() { ContainerStarted = new ContainerStarted { ContainerId = containerId } };

    public static CommandResponse Terminated(string containerId, ContainerTerminationReason reason) =>
        new() { ContainerTerminated = new ContainerTerminated { ContainerId = containerId, Reason = reason } };

    public static DataPayload Output(string uri, ulong size = 3) => new()
    {
        Uri = uri,
        Size = size,
        Sha256Hash = "abc123",
        Encoding = DataPayloadEncoding.Utf8Json,
        ContentType = "application/json",
    };

    /// <summary>AllocationCompleted with a value, identity copied from the (v1) allocation the fake handed out.</summary>
    public static AllocationOutcome Completed(Executor.Protocol.ServerV1.Allocation allocation, DataPayload? value = null) => new()
    {
        Completed = new AllocationCompleted
        {
            AllocationId = allocation.AllocationId,
            Function = FunctionOf(allocation),
            FunctionCallId = allocation.FunctionCallId,
            RequestId = allocation.RequestId,
            Value = value ?? Output(allocation.RequestDataPayloadUriPrefix + "/out"),
            ExecutionDurationMs = 7,
        },
    };

    public static AllocationOutcome Failed(Executor.Protocol.ServerV1.Allocation allocation, AllocationFailureReason reason, string? containerId = null)
    {
        var failed = new AllocationFailed
        {
            AllocationId = allocation.AllocationId,
            Function = FunctionOf(allocation),
            FunctionCallId = allocation.FunctionCallId,
            RequestId = allocation.RequestId,
            Reason = reason,
        };
        if (containerId is not null)
        {
            failed.ContainerId = containerId;
        }

        return new AllocationOutcome { Failed = failed };
    }

    /// <summary>A tail call: the allocation finishes by handing its result over to <paramref name="rootCallId"/>.</summary>
    public static AllocationOutcome TailCall(Executor.Protocol.ServerV1.Allocation allocation, string rootCallId)
    {
        var outcome = Completed(allocation);
        outcome.Completed.Updates = Updates(allocation.Function.Namespace, allocation.Function.ApplicationName, rootCallId);
        return outcome;
    }

    /// <summary>The parent allocation calls <paramref name="childCallId"/> (a call_function log entry).</summary>
    public static AllocationLogEntry CallFunction(Executor.Protocol.ServerV1.Allocation parent, string childCallId) => new()
    {
        AllocationId = parent.AllocationId,
        CallFunction = new FunctionCallRequest
        {
            Namespace = parent.Function.Namespace,
            Application = parent.Function.ApplicationName,
            RequestId = parent.RequestId,
            SourceFunctionCallId = parent.FunctionCallId,
            Updates = Updates(parent.Function.Namespace, parent.Function.ApplicationName, childCallId),
        },
    };

    private static ExecutionPlanUpdates Updates(string ns, string app, string callId)
    {
        var call = new FunctionCall
        {
            Id = callId,
            Target = new FunctionRef { Namespace = ns, ApplicationName = app, FunctionName = "child" },
            CallMetadata = ByteString.Empty,
        };
        call.Args.Add(new FunctionArg { InlineData = Output("file:///tmp/arg") });
        var updates = new ExecutionPlanUpdates { RootFunctionCallId = callId };
        updates.Updates.Add(new ExecutionPlanUpdate { FunctionCall = call });
        return updates;
    }

    private static FunctionRef FunctionOf(Executor.Protocol.ServerV1.Allocation allocation) => new()
    {
        Namespace = allocation.Function.Namespace,
        ApplicationName = allocation.Function.ApplicationName,
        FunctionName = allocation.Function.FunctionName,
    };
}

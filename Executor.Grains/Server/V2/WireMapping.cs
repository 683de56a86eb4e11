using Executor.Model;
using ProtoV1 = Executor.Protocol.ServerV1;
using ProtoV2 = Executor.Protocol.ServerV2;
using V1Wire = Executor.Server.V1.WireMapping;

namespace Executor.Server.V2;

/// <summary>
/// Protocol v2 wire types to and from the domain. Messages v2 kept from v1 are mapped once (by the v1 mapping) and
/// re-read as their v2 twins; only the v2-specific messages are built here.
/// </summary>
internal static class WireMapping
{
    public static ProtoV1.FunctionExecutorDescription AsV1(ProtoV2.ContainerDescription description) => WireTwin.As(description, ProtoV1.FunctionExecutorDescription.Parser);

    public static ProtoV1.Allocation AsV1(ProtoV2.Allocation allocation) => WireTwin.As(allocation, ProtoV1.Allocation.Parser);

    public static ProtoV1.FunctionCallResult AsV1(ProtoV2.FunctionCallResult result) => WireTwin.As(result, ProtoV1.FunctionCallResult.Parser);

    /// <summary>The function as received: v2 allocations carry no application_version, and outcomes echo that.</summary>
    public static ProtoV2.FunctionRef ToWire(Model.FunctionRef function)
    {
        var wire = new ProtoV2.FunctionRef { Namespace = function.Namespace, ApplicationName = function.Application, FunctionName = function.Function };
        if (function.Version is not null)
        {
            wire.ApplicationVersion = function.Version;
        }

        return wire;
    }

    public static ProtoV2.DataPayload ToWire(DataPayloadRef payload) => WireTwin.As(V1Wire.ToWire(payload), ProtoV2.DataPayload.Parser);

    public static ProtoV2.ExecutionPlanUpdates ToWire(CallGraph graph) => WireTwin.As(V1Wire.ToWire(graph), ProtoV2.ExecutionPlanUpdates.Parser);

    public static ProtoV2.HostResources ToWire(HostCapacity capacity) => WireTwin.As(V1Wire.ToWire(capacity), ProtoV2.HostResources.Parser);

    public static ProtoV2.AllowedFunction ToWireAllowed(Model.FunctionRef function) => WireTwin.As(V1Wire.ToWireAllowed(function), ProtoV2.AllowedFunction.Parser);

    public static ProtoV2.ExecutorStatus ToWire(ExecutorStatus status) => (ProtoV2.ExecutorStatus)(int)status;

    public static ProtoV2.ContainerStatus ToWire(FunctionExecutorStatus status) => (ProtoV2.ContainerStatus)(int)status;

    /// <summary>v2 keeps the v1 numbers (6 renamed CONTAINER_TERMINATED); a failure without a reason is an internal error, as the dataplane reports it.</summary>
    public static ProtoV2.AllocationFailureReason ToWire(AllocationFailureReason? reason) =>
        reason is { } r && r != AllocationFailureReason.Unknown ? (ProtoV2.AllocationFailureReason)(int)r : ProtoV2.AllocationFailureReason.InternalError;

    /// <summary>
    /// AllocationCompleted or AllocationFailed. <paramref name="terminatedContainerId"/> is set only for failures caused
    /// by the container going away: the Server then marks that container terminated too.
    /// </summary>
    public static ProtoV2.AllocationOutcome ToWire(AllocationOutcome outcome, string? terminatedContainerId)
    {
        if (outcome.Outcome == OutcomeCode.Success)
        {
            var completed = new ProtoV2.AllocationCompleted
            {
                AllocationId = outcome.AllocationId,
                Function = ToWire(outcome.Function),
                FunctionCallId = outcome.FunctionCallId,
                RequestId = outcome.RequestId,
            };
            if (outcome.Value is not null)
            {
                completed.Value = ToWire(outcome.Value);
            }
            else if (outcome.Updates is not null)
            {
                completed.Updates = ToWire(outcome.Updates);
            }

            if (outcome.ExecutionDurationMs is { } duration)
            {
                completed.ExecutionDurationMs = duration;
            }

            return new ProtoV2.AllocationOutcome { Completed = completed };
        }

        var failed = new ProtoV2.AllocationFailed
        {
            AllocationId = outcome.AllocationId,
            Reason = ToWire(outcome.FailureReason),
            Function = ToWire(outcome.Function),
            FunctionCallId = outcome.FunctionCallId,
            RequestId = outcome.RequestId,
        };
        if (outcome.RequestError is not null)
        {
            failed.RequestError = ToWire(outcome.RequestError);
        }

        if (outcome.ExecutionDurationMs is { } failedDuration)
        {
            failed.ExecutionDurationMs = failedDuration;
        }

        if (terminatedContainerId is not null)
        {
            failed.ContainerId = terminatedContainerId;
        }

        return new ProtoV2.AllocationOutcome { Failed = failed };
    }

    /// <summary>A call_function log entry filed under the calling allocation (clock 0: the Server does not assign clocks yet).</summary>
    public static ProtoV2.AllocationLogEntry ToLogEntry(FunctionCallRequestSpec request) => new()
    {
        AllocationId = request.AllocationId,
        Clock = 0,
        CallFunction = WireTwin.As(V1Wire.ToWire(request), ProtoV2.FunctionCallRequest.Parser),
    };
}

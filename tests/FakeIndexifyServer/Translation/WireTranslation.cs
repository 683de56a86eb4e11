using Google.Protobuf;
using V1 = Executor.Protocol.ServerV1;
using V2 = Executor.Protocol.ServerV2;

namespace FakeIndexifyServer.Translation;

/// <summary>
/// Converts between the fake's records (v1 wire types) and v2 wire types. Messages whose field numbers and enum
/// values are identical (descriptions, allocations, payloads, plan updates, call requests and results) are copied
/// through their bytes; the rest is mapped field by field.
/// </summary>
internal static class WireTranslation
{
    private static T Reparse<T>(IMessage message, MessageParser<T> parser)
        where T : IMessage<T> => parser.ParseFrom(message.ToByteString());

    public static V2.ContainerDescription ToV2(V1.FunctionExecutorDescription description) => Reparse(description, V2.ContainerDescription.Parser);

    public static V1.FunctionExecutorDescription ToV1(V2.ContainerDescription description) => Reparse(description, V1.FunctionExecutorDescription.Parser);

    /// <summary>container_id and function_executor_id are both field 8.</summary>
    public static V2.Allocation ToV2(V1.Allocation allocation) => Reparse(allocation, V2.Allocation.Parser);

    public static V1.FunctionCallRequest ToV1(V2.FunctionCallRequest request) => Reparse(request, V1.FunctionCallRequest.Parser);

    /// <summary>Failure reasons of a v1 record never use a number v2 lacks, so the bytes carry over.</summary>
    public static V2.FunctionCallResult ToV2(V1.FunctionCallResult result) => Reparse(result, V2.FunctionCallResult.Parser);

    public static V1.FunctionRef ToV1(V2.FunctionRef function) => Reparse(function, V1.FunctionRef.Parser);

    public static V1.DataPayload ToV1(V2.DataPayload payload) => Reparse(payload, V1.DataPayload.Parser);

    /// <summary>A reported container as a v1 FE state: same status numbers, termination reason mapped by meaning.</summary>
    public static V1.FunctionExecutorState ToV1(V2.ContainerState state)
    {
        var converted = new V1.FunctionExecutorState();
        if (state.Description is { } description)
        {
            converted.Description = ToV1(description);
        }

        if (state.HasStatus)
        {
            converted.Status = (V1.FunctionExecutorStatus)(int)state.Status;
        }

        if (state.HasTerminationReason)
        {
            converted.TerminationReason = ReasonMapping.ToV1(state.TerminationReason);
        }

        return converted;
    }

    /// <summary>The v1 result an outcome stands for: what tests read as the accepted result.</summary>
    public static V1.AllocationResult ToV1(V2.AllocationOutcome outcome)
    {
        var result = new V1.AllocationResult();
        switch (outcome.OutcomeCase)
        {
            case V2.AllocationOutcome.OutcomeOneofCase.Completed:
                var completed = outcome.Completed;
                result.AllocationId = completed.AllocationId;
                CopyIdentity(result, completed.Function, completed.HasFunctionCallId ? completed.FunctionCallId : null, completed.HasRequestId ? completed.RequestId : null);
                result.OutcomeCode = V1.AllocationOutcomeCode.Success;
                switch (completed.ReturnValueCase)
                {
                    case V2.AllocationCompleted.ReturnValueOneofCase.Value:
                        result.Value = ToV1(completed.Value);
                        break;
                    case V2.AllocationCompleted.ReturnValueOneofCase.Updates:
                        result.Updates = Reparse(completed.Updates, V1.ExecutionPlanUpdates.Parser);
                        break;
                }

                if (completed.HasExecutionDurationMs)
                {
                    result.ExecutionDurationMs = completed.ExecutionDurationMs;
                }

                break;
            case V2.AllocationOutcome.OutcomeOneofCase.Failed:
                var failed = outcome.Failed;
                result.AllocationId = failed.AllocationId;
                CopyIdentity(result, failed.Function, failed.HasFunctionCallId ? failed.FunctionCallId : null, failed.HasRequestId ? failed.RequestId : null);
                result.OutcomeCode = V1.AllocationOutcomeCode.Failure;
                result.FailureReason = ReasonMapping.ToV1(failed.Reason);
                if (failed.RequestError is { } requestError)
                {
                    result.RequestError = ToV1(requestError);
                }

                if (failed.HasExecutionDurationMs)
                {
                    result.ExecutionDurationMs = failed.ExecutionDurationMs;
                }

                break;
        }

        return result;
    }

    /// <summary>The executor metadata a full_state carries, as the v1 ExecutorState tests already read.</summary>
    public static V1.ExecutorState ToV1(string executorId, V2.DataplaneStateFullSync fullState, IEnumerable<V1.FunctionExecutorState> functionExecutorStates)
    {
        var state = new V1.ExecutorState { ExecutorId = executorId, Status = V1.ExecutorStatus.Running };
        if (fullState.HasHostname)
        {
            state.Hostname = fullState.Hostname;
        }

        if (fullState.HasVersion)
        {
            state.Version = fullState.Version;
        }

        if (fullState.TotalResources is { } total)
        {
            state.TotalResources = Reparse(total, V1.HostResources.Parser);
        }

        if (fullState.TotalContainerResources is { } containers)
        {
            state.TotalFunctionExecutorResources = Reparse(containers, V1.HostResources.Parser);
        }

        if (fullState.HasCatalogEntryName)
        {
            state.CatalogEntryName = fullState.CatalogEntryName;
        }

        if (fullState.HasProxyAddress)
        {
            state.ProxyAddress = fullState.ProxyAddress;
        }

        state.AllowedFunctions.AddRange(fullState.AllowedFunctions.Select(entry => Reparse(entry, V1.AllowedFunction.Parser)));
        state.Labels.Add(fullState.Labels);
        state.FunctionExecutorStates.AddRange(functionExecutorStates.Select(s => s.Clone()));
        return state;
    }

    private static void CopyIdentity(V1.AllocationResult result, V2.FunctionRef? function, string? functionCallId, string? requestId)
    {
        if (function is not null)
        {
            result.Function = ToV1(function);
        }

        if (functionCallId is not null)
        {
            result.FunctionCallId = functionCallId;
        }

        if (requestId is not null)
        {
            result.RequestId = requestId;
        }
    }
}

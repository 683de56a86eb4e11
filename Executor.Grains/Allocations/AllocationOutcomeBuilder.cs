using Executor.Model;
using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.Allocations;

/// <summary>
/// Turns how the FE finished an allocation into the outcome the Server gets: completes the uploads the finish names
/// (outputs, tail-call arguments, request error), converts values and tail calls, and maps the FE's outcome by
/// meaning (the FE cannot claim an executor-side error). Output the FE never asked us for fails FUNCTION_ERROR.
/// </summary>
public sealed class AllocationOutcomeBuilder(AllocationContext context, AllocationUploads uploads)
{
    public async Task<AllocationOutcome> BuildAsync(AllocationFinish finish, ulong durationMs)
    {
        var (outcome, reason) = FunctionExecutorMapping.MapOutcome(finish.OutcomeCode, finish.FailureReason);
        DataPayloadRef? value = null;
        CallGraph? updates = null;
        string? outputsUri = null;
        if (finish.OutputsBlob is { } outputs)
        {
            outputsUri = await uploads.CompleteOutputBlobAsync(outputs);
            if (outputsUri is null)
            {
                AllocationLog.UnknownOutputsBlob(context.Logger, context.AllocationId);
                return Failed(AllocationFailureReason.FunctionError, durationMs);
            }
        }

        if (finish.Value is { } returned)
        {
            if (outputsUri is null)
            {
                AllocationLog.UnknownOutputsBlob(context.Logger, context.AllocationId);
                return Failed(AllocationFailureReason.FunctionError, durationMs);
            }

            value = FunctionExecutorMapping.ToPayload(returned, outputsUri);
        }
        else if (finish.InvalidTailCall is { } invalid)
        {
            AllocationLog.InvalidTailCall(context.Logger, context.AllocationId, invalid);
            return Failed(AllocationFailureReason.FunctionError, durationMs);
        }
        else if (finish.TailCall is { } tail)
        {
            var (graph, error) = await ToCallGraphAsync(tail, outputsUri);
            if (graph is null)
            {
                AllocationLog.InvalidTailCall(context.Logger, context.AllocationId, error ?? "over 1 MiB or 1000 items");
                return Failed(AllocationFailureReason.FunctionError, durationMs);
            }

            updates = graph;
        }

        DataPayloadRef? requestError = null;
        if (finish.RequestErrorOutput is { } errorOutput && await uploads.CompleteRequestErrorBlobAsync(finish.UploadedRequestErrorBlob) is { } errorUri)
        {
            requestError = FunctionExecutorMapping.ToPayload(errorOutput, errorUri);
        }

        if (outcome == OutcomeCode.Failure)
        {
            context.Metrics.RunErrors.Add(1);
        }

        if (outcome == OutcomeCode.Unknown)
        {
            AllocationLog.UnknownOutcome(context.Logger, context.AllocationId);
        }

        var spec = context.Spec;
        return new AllocationOutcome
        {
            AllocationId = spec.AllocationId,
            FunctionExecutorId = spec.FunctionExecutorId,
            Function = spec.Function,
            FunctionCallId = spec.FunctionCallId,
            RequestId = spec.RequestId,
            Outcome = outcome == OutcomeCode.Unknown ? OutcomeCode.Failure : outcome,
            FailureReason = outcome == OutcomeCode.Unknown ? AllocationFailureReason.Unknown : reason,
            Value = value,
            Updates = updates,
            RequestError = requestError,
            ExecutionDurationMs = durationMs,
        };
    }

    /// <summary>
    /// One call graph from the tail call's plans, in order; each plan's inline arguments point into its own
    /// arguments BLOB (completed here), or into the outputs BLOB. Null with an error when malformed or too large.
    /// </summary>
    private async Task<(CallGraph? Graph, string? Error)> ToCallGraphAsync(TailCall tail, string? outputsUri)
    {
        var nodes = new List<CallGraphNode>();
        DateTimeOffset? startAt = null;
        var bytes = 0;
        foreach (var part in tail.Parts)
        {
            var argsUri = outputsUri;
            if (part.ArgsBlob is { } argsBlob && (argsUri = await uploads.CompleteOutputBlobAsync(argsBlob)) is null)
            {
                return (null, "tail call arguments BLOB is not a pending output BLOB");
            }

            var graph = FunctionExecutorMapping.ToCallGraph(part.Updates, argsUri, out var error);
            if (graph is null)
            {
                return (null, error);
            }

            nodes.AddRange(graph.Nodes);
            bytes += part.Updates.CalculateSize();
            if (graph.RootFunctionCallId == tail.RootFunctionCallId)
            {
                startAt = graph.StartAt;
            }
        }

        var merged = new CallGraph { Nodes = nodes, RootFunctionCallId = tail.RootFunctionCallId, StartAt = startAt };
        return bytes > FunctionCallForwarder.MaxBytes || FunctionExecutorMapping.CountItems(merged) > FunctionCallForwarder.MaxItems ? (null, null) : (merged, null);
    }

    private AllocationOutcome Failed(AllocationFailureReason reason, ulong durationMs) => AllocationOutcome.Failed(context.Spec, reason, durationMs);
}

using Executor.Model;
using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.Allocations;

/// <summary>FE protocol results and call graphs to the domain (map by meaning, never by number: the enums differ).</summary>
public static class FunctionExecutorMapping
{
    public static (OutcomeCode Outcome, AllocationFailureReason? Reason) MapOutcome(Fe.AllocationResult result) =>
        MapOutcome(result.OutcomeCode, result.HasFailureReason ? result.FailureReason : null);

    public static (OutcomeCode Outcome, AllocationFailureReason? Reason) MapOutcome(Fe.AllocationOutcomeCode code, Fe.AllocationFailureReason? reason) => code switch
    {
        Fe.AllocationOutcomeCode.Success => (OutcomeCode.Success, null),
        Fe.AllocationOutcomeCode.Failure when reason is null => (OutcomeCode.Failure, null),
        Fe.AllocationOutcomeCode.Failure => (OutcomeCode.Failure, reason switch
        {
            Fe.AllocationFailureReason.FunctionError => AllocationFailureReason.FunctionError,
            Fe.AllocationFailureReason.RequestError => AllocationFailureReason.RequestError,
            // Anti-abuse rule: user code must not be able to claim an executor-side error.
            Fe.AllocationFailureReason.InternalError => AllocationFailureReason.FunctionError,
            // Only a strict replay (which this executor never asks for) can diverge from its history; whatever the FE
            // claims happened there is charged to the function, as above: the Server has no such reason.
            Fe.AllocationFailureReason.ReplayEventHistoryMismatch => AllocationFailureReason.FunctionError,
            _ => AllocationFailureReason.Unknown,
        }),
        _ => (OutcomeCode.Unknown, null),
    };

    public static DataPayloadRef ToPayload(Fe.SerializedObjectInsideBLOB value, string uri)
    {
        var manifest = value.Manifest ?? new Fe.SerializedObjectManifest();
        return new DataPayloadRef
        {
            Uri = uri,
            // Upstream leaves BINARY_ZIP unmapped (UNKNOWN); the encodings are value-for-value identical.
            Encoding = Enum.IsDefined((PayloadEncoding)(int)manifest.Encoding) ? (PayloadEncoding)(int)manifest.Encoding : PayloadEncoding.Unknown,
            EncodingVersion = manifest.EncodingVersion,
            ContentType = manifest.HasContentType ? manifest.ContentType : null,
            MetadataSize = manifest.MetadataSize,
            Offset = value.Offset,
            Size = manifest.Size,
            Sha256 = manifest.Sha256Hash,
            SourceFunctionCallId = manifest.HasSourceFunctionCallId ? manifest.SourceFunctionCallId : string.Empty,
        };
    }

    /// <summary>Converts an FE call graph; inline values point into <paramref name="argsUri"/>. Null with an error when malformed.</summary>
    public static CallGraph? ToCallGraph(Fe.ExecutionPlanUpdates updates, string? argsUri, out string? error)
    {
        error = null;
        if (!updates.HasRootFunctionCallId || updates.RootFunctionCallId.Length == 0)
        {
            error = "root_function_call_id is missing";
            return null;
        }

        var nodes = new List<CallGraphNode>(updates.Updates.Count);
        foreach (var update in updates.Updates)
        {
            switch (update.OpCase)
            {
                case Fe.ExecutionPlanUpdate.OpOneofCase.FunctionCall:
                    var call = update.FunctionCall;
                    var callArgs = ToArgs(call.Args, argsUri, ref error);
                    if (callArgs is null)
                    {
                        return null;
                    }

                    nodes.Add(new CallGraphNode
                    {
                        Id = call.HasId ? call.Id : null,
                        Target = call.Target is null ? null : ToRef(call.Target),
                        Args = callArgs,
                        CallMetadata = call.HasCallMetadata ? call.CallMetadata.ToByteArray() : null,
                    });
                    break;
                case Fe.ExecutionPlanUpdate.OpOneofCase.Reduce:
                    var reduce = update.Reduce;
                    var collection = ToArgs(reduce.Collection, argsUri, ref error);
                    if (collection is null)
                    {
                        return null;
                    }

                    nodes.Add(new CallGraphNode
                    {
                        IsReduce = true,
                        Id = reduce.HasId ? reduce.Id : null,
                        Target = reduce.Reducer is null ? null : ToRef(reduce.Reducer),
                        Args = collection,
                        CallMetadata = reduce.HasCallMetadata ? reduce.CallMetadata.ToByteArray() : null,
                    });
                    break;
                default:
                    error = "execution plan update without an operation";
                    return null;
            }
        }

        return new CallGraph
        {
            Nodes = nodes,
            RootFunctionCallId = updates.RootFunctionCallId,
            StartAt = updates.StartAt?.ToDateTimeOffset(),
        };
    }

    private static List<CallArg>? ToArgs(IEnumerable<Fe.FunctionArg> args, string? argsUri, ref string? error)
    {
        var result = new List<CallArg>();
        foreach (var arg in args)
        {
            switch (arg.SourceCase)
            {
                case Fe.FunctionArg.SourceOneofCase.FunctionCallId:
                    result.Add(new CallArg { FunctionCallId = arg.FunctionCallId });
                    break;
                case Fe.FunctionArg.SourceOneofCase.Value when argsUri is not null:
                    result.Add(new CallArg { Inline = ToPayload(arg.Value, argsUri) });
                    break;
                default:
                    error = argsUri is null ? "inline argument without an uploaded blob" : "argument without a source";
                    return null;
            }
        }

        return result;
    }

    private static FunctionRef ToRef(Fe.FunctionRef f) =>
        new(f.Namespace, f.ApplicationName, f.FunctionName, f.HasApplicationVersion ? f.ApplicationVersion : null);

    public static Fe.FunctionRef ToFe(FunctionRef f)
    {
        var wire = new Fe.FunctionRef { Namespace = f.Namespace, ApplicationName = f.Application, FunctionName = f.Function };
        if (f.Version is not null)
        {
            wire.ApplicationVersion = f.Version;
        }

        return wire;
    }

    public static int CountItems(CallGraph graph) => graph.Nodes.Count + graph.Nodes.Sum(n => n.Args.Count);
}

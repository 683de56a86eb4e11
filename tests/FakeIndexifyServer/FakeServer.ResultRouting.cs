using FakeIndexifyServer.Faults;
using FakeIndexifyServer.Model;
using FakeIndexifyServer.Translation;
using FakeIndexifyServer.Validation;
using Grpc.Core;
using V1 = Executor.Protocol.ServerV1;
using V2 = Executor.Protocol.ServerV2;

namespace FakeIndexifyServer;

/// <summary>
/// v2 function calls: call_function log entries register a result route per called id; a child's outcome (reported
/// by an executor or scripted with <see cref="CompleteFunctionCall"/>) is pushed once, as a sequenced result, to the
/// executor of the parent allocation while that allocation is live.
/// </summary>
public sealed partial class FakeServer
{
    private readonly Dictionary<FunctionCallKey, ResultRoute> _routes = new();

    // (parent allocation, called id) pairs whose result was pushed: a resent call_function must not push it again.
    private readonly HashSet<(string ParentAllocationId, string FunctionCallId)> _routedResults = [];
    private readonly List<IssuedResult> _issuedResults = [];

    /// <summary>Called under the lock.</summary>
    private void IngestLogEntry(ExecutorRecord executor, V2.AllocationLogEntry entry, DateTimeOffset receivedAt, HeartbeatIngestion ingestion)
    {
        switch (entry.EntryCase)
        {
            case V2.AllocationLogEntry.EntryOneofCase.CallFunction:
                IngestCallFunction(executor, entry.AllocationId, entry.CallFunction, receivedAt, ingestion);
                break;
            case V2.AllocationLogEntry.EntryOneofCase.FunctionCallResult:
                ingestion.Ignore($"allocation {entry.AllocationId}: function_call_result sent by an executor is ignored");
                break;
            default:
                ingestion.Reject("AllocationLogEntry missing entry");
                break;
        }
    }

    private void IngestCallFunction(ExecutorRecord executor, string parentAllocationId, V2.FunctionCallRequest request, DateTimeOffset receivedAt, HeartbeatIngestion ingestion)
    {
        var recorded = WireTranslation.ToV1(request);
        if (ingestion.NextCallFunctionFault() is InjectedFault.Fail fail)
        {
            RecordCallFunctionEntry(recorded, receivedAt, fail.Code, fail.Detail);
            ingestion.FailInjected($"call_function: {fail.Detail}", fail.Code);
            return;
        }

        var missing = !request.HasNamespace ? "CallFunction missing namespace"
            : !request.HasApplication ? "CallFunction missing application"
            : !request.HasRequestId ? "CallFunction missing request_id"
            : null;
        if (missing is not null)
        {
            RecordCallFunctionEntry(recorded, receivedAt, StatusCode.InvalidArgument, missing);
            ingestion.Reject(missing);
            return;
        }

        // Routes come first: the server registers them before it checks the rest of the request.
        var routed = new List<FunctionCallKey>();
        foreach (var update in request.Updates?.Updates ?? [])
        {
            if (update.OpCase == V2.ExecutionPlanUpdate.OpOneofCase.FunctionCall
                && update.FunctionCall.HasId
                && !_routedResults.Contains((parentAllocationId, update.FunctionCall.Id)))
            {
                var key = new FunctionCallKey(request.Namespace, request.Application, request.RequestId, update.FunctionCall.Id);
                _routes[key] = new ResultRoute(parentAllocationId, executor.Id, update.FunctionCall.Id);
                routed.Add(key);
            }
        }

        var error = !request.HasSourceFunctionCallId ? "CallFunction missing source_function_call_id"
            : request.Updates is null ? "CallFunction missing updates"
            : ExecutionPlanUpdatesValidator.FindError(recorded.Updates, requireRoot: false);
        if (error is not null)
        {
            ingestion.Reject(error);
            RecordCallFunctionEntry(recorded, receivedAt, MalformedItems.IsMalformed(error) ? StatusCode.InvalidArgument : StatusCode.Internal, error);
        }
        else
        {
            // Calls are keyed by id; re-sent ids do not create new runs.
            foreach (var callId in ExecutionPlanUpdatesValidator.CreatedCallIds(recorded.Updates))
            {
                _functionCalls.TryAdd(new FunctionCallKey(request.Namespace, request.Application, request.RequestId, callId), FunctionCallOutcome.Pending);
            }

            AdvanceClockForEvent();
            RecordCallFunctionEntry(recorded, receivedAt, StatusCode.OK, string.Empty);
        }

        // A test may have scripted the outcome before the call arrived.
        foreach (var key in routed)
        {
            TryPushRoutedResult(key);
        }
    }

    private void RecordCallFunctionEntry(V1.FunctionCallRequest request, DateTimeOffset receivedAt, StatusCode status, string detail) =>
        _functionCallRequests.Add(new ReceivedFunctionCall(NextSequence(), receivedAt, request, status, detail));

    /// <summary>A child allocation's outcome was applied: a tail call moves its route to the tail call's root, anything else is pushed.</summary>
    private void RouteChildOutcome(AllocationRecord child, V1.AllocationResult result, HeartbeatIngestion ingestion)
    {
        var key = CallKeyOf(child.Allocation);
        if (!_routes.Remove(key, out var route))
        {
            return;
        }

        if (result.ReturnValueCase != V1.AllocationResult.ReturnValueOneofCase.Updates)
        {
            PushRoutedResult(key, route, FunctionCallOutcome.FromResult(result));
            return;
        }

        if (!result.Updates.HasRootFunctionCallId || result.Updates.RootFunctionCallId.Length == 0)
        {
            // The server generates a root for ingestion, but routing then fails as malformed: the parent never hears back.
            ingestion.Reject($"allocation {child.Id}: AllocationCompleted Updates missing root_function_call_id");
            return;
        }

        var rootKey = key with { FunctionCallId = result.Updates.RootFunctionCallId };
        _routes[rootKey] = route;
        TryPushRoutedResult(rootKey);
    }

    /// <summary>Pushes a routed call's result if its outcome is known and final (not pending, not a scripted tail call).</summary>
    private void TryPushRoutedResult(FunctionCallKey key)
    {
        if (_routes.TryGetValue(key, out var route)
            && _functionCalls.TryGetValue(key, out var outcome)
            && outcome.Code != V1.AllocationOutcomeCode.Unknown
            && !ReferenceEquals(outcome, FunctionCallOutcome.TailCall))
        {
            _routes.Remove(key);
            PushRoutedResult(key, route, outcome);
        }
    }

    /// <summary>One sequenced result to the parent's executor, only while the parent is live and the executor connected.</summary>
    private void PushRoutedResult(FunctionCallKey key, ResultRoute route, FunctionCallOutcome outcome)
    {
        if (!_allocations.TryGetValue(route.ParentAllocationId, out var parent) || !parent.IsLive
            || !_executors.TryGetValue(route.ExecutorId, out var executor) || !executor.IsRegistered)
        {
            return; // the result and the route are dropped, as on the server
        }

        var result = new V2.SequencedAllocationResult
        {
            Entry = new V2.AllocationLogEntry
            {
                AllocationId = parent.Id,
                FunctionCallResult = WireTranslation.ToV2(outcome.ToWire(key.Namespace, key.RequestId, route.OriginalFunctionCallId)),
            },
        };
        executor.Results.Add(result);
        _routedResults.Add((route.ParentAllocationId, route.OriginalFunctionCallId));
        _issuedResults.Add(new IssuedResult(NextSequence(), _time.GetUtcNow(), executor.Id, result.Clone()));
    }
}

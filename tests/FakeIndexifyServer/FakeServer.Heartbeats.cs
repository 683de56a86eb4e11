using FakeIndexifyServer.Faults;
using FakeIndexifyServer.Model;
using FakeIndexifyServer.Translation;
using FakeIndexifyServer.Validation;
using Grpc.Core;
using V1 = Executor.Protocol.ServerV1;
using V2 = Executor.Protocol.ServerV2;

namespace FakeIndexifyServer;

/// <summary>v2 heartbeat: liveness, registration through full_state, item ingestion in the server's order, STOPPED.</summary>
public sealed partial class FakeServer
{
    private readonly List<ReceivedHeartbeat> _heartbeats = [];

    internal async Task<V2.HeartbeatResponse> HandleHeartbeatAsync(V2.HeartbeatRequest request, ServerCallContext context)
    {
        var receivedAt = _time.GetUtcNow();
        switch (_reportFaults.TakeNext())
        {
            case InjectedFault.Fail fail:
                RecordUnprocessedHeartbeat(request, receivedAt, fail.Code, fail.Detail);
                throw new RpcException(new Status(fail.Code, fail.Detail));
            case InjectedFault.DropConnection:
                RecordUnprocessedHeartbeat(request, receivedAt, StatusCode.Unavailable, "connection dropped by fault injection");
                Hosting.ConnectionDropper.DropConnection(context);
                return new V2.HeartbeatResponse();
            case InjectedFault.Delay delay:
                await DelayOrRecordAsync(request, receivedAt, delay.Duration, context).ConfigureAwait(false);
                break;
        }

        // call_function faults apply to the heartbeat's call_function entries, in order.
        var callFunctionFaults = request.AllocationLogEntries
            .Where(entry => entry.EntryCase == V2.AllocationLogEntry.EntryOneofCase.CallFunction)
            .Select(_ => _functionCallFaults.TakeNext())
            .ToList();
        if (callFunctionFaults.OfType<InjectedFault.DropConnection>().Any())
        {
            RecordUnprocessedHeartbeat(request, receivedAt, StatusCode.Unavailable, "connection dropped by call_function fault injection");
            Hosting.ConnectionDropper.DropConnection(context);
            return new V2.HeartbeatResponse();
        }

        var callFunctionDelay = callFunctionFaults.OfType<InjectedFault.Delay>().Aggregate(TimeSpan.Zero, (sum, delay) => sum + delay.Duration);
        if (callFunctionDelay > TimeSpan.Zero)
        {
            await DelayOrRecordAsync(request, receivedAt, callFunctionDelay, context).ConfigureAwait(false);
        }

        ReceivedHeartbeat heartbeat;
        lock (_gate)
        {
            heartbeat = ProcessHeartbeat(request, receivedAt, callFunctionFaults);
        }

        _changes.Pulse();
        if (heartbeat.ReplyStatus != StatusCode.OK)
        {
            Log.ReportRejected(_logger, heartbeat.ExecutorId, heartbeat.ReplyStatus, heartbeat.ReplyDetail);
            throw new RpcException(new Status(heartbeat.ReplyStatus, heartbeat.ReplyDetail));
        }

        return new V2.HeartbeatResponse { SendState = heartbeat.SendState };
    }

    private async Task DelayOrRecordAsync(V2.HeartbeatRequest request, DateTimeOffset receivedAt, TimeSpan delay, ServerCallContext context)
    {
        try
        {
            await Task.Delay(delay, _time, context.CancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The client gave up before the delayed heartbeat was processed: nothing is applied.
            RecordUnprocessedHeartbeat(request, receivedAt, StatusCode.Cancelled, "client cancelled during injected delay");
            throw;
        }
    }

    private void RecordUnprocessedHeartbeat(V2.HeartbeatRequest request, DateTimeOffset receivedAt, StatusCode code, string detail)
    {
        lock (_gate)
        {
            RecordHeartbeat(request, BuildReportView(request), receivedAt, code, detail, sendState: false, itemsDropped: false, wasRegistration: false, new HeartbeatIngestion([]));
        }

        _changes.Pulse();
    }

    /// <summary>The server's heartbeat steps (§3.2), in order. Called under the lock.</summary>
    private ReceivedHeartbeat ProcessHeartbeat(V2.HeartbeatRequest request, DateTimeOffset receivedAt, IReadOnlyList<InjectedFault?> callFunctionFaults)
    {
        // The v1 view names containers by their descriptions, so it is built before ingestion forgets any.
        var view = BuildReportView(request);
        var ingestion = new HeartbeatIngestion(callFunctionFaults);
        if (!request.HasExecutorId || request.ExecutorId.Length == 0)
        {
            return RecordHeartbeat(request, view, receivedAt, StatusCode.InvalidArgument, "executor_id required", false, false, false, ingestion);
        }

        // Liveness is refreshed for any id, before anything can fail.
        var executor = GetOrCreateExecutor(request.ExecutorId);
        executor.ReportCount++;
        executor.Deadline = receivedAt + _livenessTimeout;

        var wasRegistration = false;
        if (request.FullState is { } fullState)
        {
            if (FullStateValidator.FindResourcesError(fullState) is { } resourcesError)
            {
                return RecordHeartbeat(request, view, receivedAt, StatusCode.Internal, resourcesError, false, false, false, ingestion);
            }

            RegisterFromFullState(executor, fullState, ingestion);
            wasRegistration = true;
        }
        else if (!executor.IsRegistered)
        {
            // Unknown (first contact, restarted server, deregistered): everything is dropped and the state is asked for.
            return RecordHeartbeat(request, view, receivedAt, StatusCode.OK, string.Empty, sendState: true, itemsDropped: true, false, ingestion);
        }

        // Log entries before outcomes, so a call_function and its child's completion in one heartbeat route correctly.
        foreach (var response in request.CommandResponses)
        {
            IngestCommandResponse(executor, response, ingestion);
        }

        foreach (var entry in request.AllocationLogEntries)
        {
            IngestLogEntry(executor, entry, receivedAt, ingestion);
        }

        foreach (var outcome in request.AllocationOutcomes)
        {
            IngestOutcome(executor, outcome, ingestion);
        }

        PlaceQueuedAllocations();
        PublishChanges();

        var sendState = false;
        if (request.HasStatus && request.Status == V2.ExecutorStatus.Stopped)
        {
            // Inside the RPC, even when ingestion failed.
            Deregister(executor, DeregistrationCause.Stopped);
        }
        else if (executor.AckRegressed)
        {
            executor.AckRegressed = false;
            sendState = true;
        }

        return ingestion.Failed.Count == 0
            ? RecordHeartbeat(request, view, receivedAt, StatusCode.OK, string.Empty, sendState, false, wasRegistration, ingestion)
            : RecordHeartbeat(request, view, receivedAt, ingestion.FailureCode, $"heartbeat ingestion failed for {ingestion.Failed.Count} report item(s)", sendState, false, wasRegistration, ingestion);
    }

    private ReceivedHeartbeat RecordHeartbeat(
        V2.HeartbeatRequest request,
        V1.ReportExecutorStateRequest view,
        DateTimeOffset receivedAt,
        StatusCode status,
        string detail,
        bool sendState,
        bool itemsDropped,
        bool wasRegistration,
        HeartbeatIngestion ingestion)
    {
        // Counted as in v1: every time an allocation id was sent, and how often in a heartbeat that did not take it.
        foreach (var result in view.ExecutorUpdate.AllocationResults)
        {
            var counter = CounterFor(result.AllocationId);
            counter.Total++;
            if (status != StatusCode.OK || itemsDropped)
            {
                counter.InRejectedReports++;
            }
        }

        var sequence = NextSequence();
        var heartbeat = new ReceivedHeartbeat(sequence, receivedAt, request.Clone(), status, detail, sendState, itemsDropped, ingestion.Skipped.ToArray(), ingestion.Failed.ToArray());
        _heartbeats.Add(heartbeat);
        _reports.Add(new ReceivedReport(sequence, receivedAt, view, status, detail, wasRegistration, ingestion.Accepted.ToArray(), ingestion.Duplicates.ToArray(), ingestion.Unknown.ToArray())
        {
            ItemsDropped = itemsDropped,
        });
        return heartbeat;
    }

    /// <summary>
    /// The v1 report a heartbeat stands for: full_state containers and ContainerStarted / ContainerTerminated as FE
    /// states (reasons mapped by meaning), outcomes as allocation results. Called under the lock.
    /// </summary>
    private V1.ReportExecutorStateRequest BuildReportView(V2.HeartbeatRequest request)
    {
        var state = request.FullState is { } fullState
            ? WireTranslation.ToV1(request.ExecutorId, fullState, fullState.ContainerStates.Where(s => s.Description is not null).Select(WireTranslation.ToV1))
            : new V1.ExecutorState { ExecutorId = request.ExecutorId };
        var update = new V1.ExecutorUpdate { ExecutorId = request.ExecutorId };
        if (!request.HasExecutorId)
        {
            state.ClearExecutorId();
            update.ClearExecutorId();
        }

        state.ClearStatus();
        if (request.HasStatus)
        {
            state.Status = (V1.ExecutorStatus)(int)request.Status;
        }

        foreach (var response in request.CommandResponses)
        {
            switch (response.ResponseCase)
            {
                case V2.CommandResponse.ResponseOneofCase.ContainerStarted:
                    state.FunctionExecutorStates.Add(new V1.FunctionExecutorState
                    {
                        Description = DescriptionOf(response.ContainerStarted.ContainerId),
                        Status = V1.FunctionExecutorStatus.Running,
                    });
                    break;
                case V2.CommandResponse.ResponseOneofCase.ContainerTerminated:
                    state.FunctionExecutorStates.Add(new V1.FunctionExecutorState
                    {
                        Description = DescriptionOf(response.ContainerTerminated.ContainerId),
                        Status = V1.FunctionExecutorStatus.Terminated,
                        TerminationReason = ReasonMapping.ToV1(response.ContainerTerminated.Reason),
                    });
                    break;
            }
        }

        update.AllocationResults.AddRange(request.AllocationOutcomes
            .Where(outcome => outcome.OutcomeCase != V2.AllocationOutcome.OutcomeOneofCase.None)
            .Select(WireTranslation.ToV1));
        return new V1.ReportExecutorStateRequest { ExecutorState = state, ExecutorUpdate = update };
    }

    private V1.FunctionExecutorDescription DescriptionOf(string functionExecutorId) =>
        _functionExecutors.TryGetValue(functionExecutorId, out var fe) ? fe.Description.Clone() : new V1.FunctionExecutorDescription { Id = functionExecutorId };
}

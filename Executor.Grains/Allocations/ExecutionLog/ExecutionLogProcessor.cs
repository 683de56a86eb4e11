using Executor.Model;
using Microsoft.Extensions.Logging;
using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.Allocations.ExecutionLog;

/// <summary>
/// 0.1.3: processes one allocation's execution-log batches, in order, into event-log entries, child calls, watches
/// and finally the finish. Every create is acknowledged at once (the FE blocks on it) but forwarded to the Server
/// only when the next batch shows it is not the tail call: a tail call's creates go into the outcome and must never
/// also run as child calls. Every watcher gets watcher_created and then exactly one result: the call's own, a
/// failure, or TIMEDOUT at its deadline (the FE has no timer). Handling is keyed by call id, so a batch seen twice
/// changes nothing. Used on one scheduler only.
/// </summary>
public sealed class ExecutionLogProcessor(
    string allocationId,
    AllocationEventLog log,
    IChildCalls childCalls,
    AllocationDeadline deadline,
    TimeProvider time,
    ILogger logger)
{
    private readonly Dictionary<string, DurableCall> _calls = new(StringComparer.Ordinal);

    // Creates acknowledged but not yet forwarded, in log order: they may turn out to be the tail call.
    private readonly List<DurableCall> _held = [];
    private readonly List<Task> _background = [];
    private readonly CancellationTokenSource _closing = new();
    private AllocationFinish? _finish;

    /// <summary>Processes one batch; returns the finish when the batch carries it.</summary>
    public async Task<AllocationFinish?> ProcessAsync(IReadOnlyList<Fe.AllocationExecutionEvent> batch)
    {
        if (_finish is not null)
        {
            AllocationLog.EventsAfterFinish(logger, allocationId, batch.Count);
            return _finish;
        }

        // A batch whose every event was handled already is a repeat: it must not flush the held creates either.
        if (batch.All(IsHandled))
        {
            return null;
        }

        // The tail call's creates are the batch right before its finish; any other batch means the held creates are child calls.
        var tailId = batch.LastOrDefault(e => e.EventCase == Fe.AllocationExecutionEvent.EventOneofCase.FinishAllocation)?.FinishAllocation is { OutputsCase: Fe.AllocationExecutionEventFinishAllocation.OutputsOneofCase.TailCallDurableId } tailFinish
            ? tailFinish.TailCallDurableId
            : null;
        if (tailId is null || !_held.Any(c => c.Id == tailId))
        {
            await ForwardHeldAsync();
        }

        foreach (var entry in batch)
        {
            switch (entry.EventCase)
            {
                case Fe.AllocationExecutionEvent.EventOneofCase.CreateFunctionCall:
                    OnCreate(entry.CreateFunctionCall);
                    break;
                case Fe.AllocationExecutionEvent.EventOneofCase.FunctionCallCreationFailed:
                    OnCreationFailed(entry.FunctionCallCreationFailed);
                    break;
                case Fe.AllocationExecutionEvent.EventOneofCase.CreateFunctionCallWatcher:
                    await OnWatcherAsync(entry.CreateFunctionCallWatcher);
                    break;
                case Fe.AllocationExecutionEvent.EventOneofCase.FinishAllocation:
                    return await OnFinishAsync(entry.FinishAllocation);
                default:
                    AllocationLog.UnknownExecutionEvent(logger, allocationId);
                    break;
            }
        }

        return null;
    }

    /// <summary>A watched call finished (routed by call id); delivered to the FE once its watcher exists.</summary>
    public void DeliverResult(string functionCallId, FunctionCallResultSpec result)
    {
        if (!_calls.TryGetValue(functionCallId, out var call) || call.Result != WatcherResultStage.None || _closing.IsCancellationRequested)
        {
            return;
        }

        if (!call.Watched)
        {
            call.Buffered ??= result;
            return;
        }

        call.Result = WatcherResultStage.Converting;
        _background.Add(SendResultAsync(call, result));
    }

    /// <summary>Ends timers and pending deliveries and withdraws every watch; waits for what was in flight.</summary>
    public async Task CloseAsync()
    {
        _closing.Cancel();
        foreach (var call in _calls.Values)
        {
            StopWatching(call);
        }

        try
        {
            await Task.WhenAll(_background);
        }
        catch (Exception ex)
        {
            AllocationLog.UpdateFailed(logger, allocationId, ex.Message);
        }
    }

    private bool IsHandled(Fe.AllocationExecutionEvent entry) => entry.EventCase switch
    {
        Fe.AllocationExecutionEvent.EventOneofCase.CreateFunctionCall => entry.CreateFunctionCall.Updates is { HasRootFunctionCallId: true } updates && _calls.ContainsKey(updates.RootFunctionCallId),
        Fe.AllocationExecutionEvent.EventOneofCase.FunctionCallCreationFailed => _calls.ContainsKey(entry.FunctionCallCreationFailed.FunctionCallId),
        Fe.AllocationExecutionEvent.EventOneofCase.CreateFunctionCallWatcher => _calls.TryGetValue(entry.CreateFunctionCallWatcher.FunctionCallId, out var call) && call.Watched,
        _ => false,
    };

    private void OnCreate(Fe.AllocationExecutionEventCreateFunctionCall create)
    {
        var id = create.Updates is { HasRootFunctionCallId: true } updates ? updates.RootFunctionCallId : string.Empty;
        if (id.Length == 0)
        {
            // Nothing to acknowledge it by: the FE's own timeout (and ours) ends the allocation.
            AllocationLog.InvalidFunctionCall(logger, allocationId, "(none)");
            return;
        }

        if (_calls.ContainsKey(id))
        {
            return;
        }

        var call = new DurableCall(id) { Create = create };
        _calls[id] = call;
        if (create.ArgsBlob is not null && create.ArgsBlob.Chunks.Any(c => !c.HasUri || !c.HasSize))
        {
            AllocationLog.InvalidFunctionCall(logger, allocationId, id);
            call.Stage = DurableCallStage.Failed;
            AppendCreated(id, new Google.Rpc.Status { Code = 3, Message = "Invalid function call." }, null);
            return;
        }

        _held.Add(call);
        AppendCreated(id, new Google.Rpc.Status { Code = 0 }, null);
    }

    private void OnCreationFailed(Fe.AllocationExecutionEventFunctionCallCreationFailed failed)
    {
        if (!failed.HasFunctionCallId || failed.FunctionCallId.Length == 0 || _calls.ContainsKey(failed.FunctionCallId))
        {
            return;
        }

        // Nothing to start; the non-OK ack with the FE's own metadata gives user code its original error back.
        _calls[failed.FunctionCallId] = new DurableCall(failed.FunctionCallId) { Stage = DurableCallStage.Failed };
        AppendCreated(failed.FunctionCallId, new Google.Rpc.Status { Code = 3, Message = "Function call arguments could not be serialized." }, failed.Metadata);
    }

    private async Task OnWatcherAsync(Fe.AllocationExecutionEventCreateFunctionCallWatcher watcher)
    {
        if (!watcher.HasFunctionCallId || watcher.FunctionCallId.Length == 0)
        {
            AllocationLog.InvalidWatcher(logger, allocationId);
            return;
        }

        var id = watcher.FunctionCallId;
        if (!_calls.TryGetValue(id, out var call))
        {
            AllocationLog.WatcherOfUnknownCall(logger, allocationId, id);
            _calls[id] = call = new DurableCall(id) { Stage = DurableCallStage.Failed };
        }

        if (call.Watched)
        {
            return;
        }

        if (call.Stage == DurableCallStage.Held)
        {
            // Watched, so not a tail call: it must exist on the Server before its watch does.
            await ForwardHeldAsync();
        }

        // Always OK: some FEs never release a waiter on a non-OK watcher ack; problems arrive as a failed result.
        call.Watched = true;
        log.Append(new Fe.AllocationEvent { FunctionCallWatcherCreated = new Fe.AllocationEventFunctionCallWatcherCreated { FunctionCallId = id, Status = new Google.Rpc.Status { Code = 0 } } });
        if (call.Stage != DurableCallStage.Forwarded)
        {
            Complete(call, FailedResult(id));
            return;
        }

        call.Watching = true;
        childCalls.Watch(id);
        if (watcher.Deadline is { } at)
        {
            _background.Add(TimeOutAsync(call, at.ToDateTimeOffset() - time.GetUtcNow()));
        }
        else
        {
            // Waiting on a call without a deadline of its own is not the function's time.
            call.HoldsDeadline = true;
            deadline.Hold();
        }

        if (call.Buffered is { } buffered)
        {
            call.Buffered = null;
            DeliverResult(id, buffered);
        }
    }

    private async Task<AllocationFinish> OnFinishAsync(Fe.AllocationExecutionEventFinishAllocation finish)
    {
        TailCall? tailCall = null;
        string? invalidTailCall = null;
        if (finish.OutputsCase == Fe.AllocationExecutionEventFinishAllocation.OutputsOneofCase.TailCallDurableId)
        {
            var tailId = finish.TailCallDurableId;
            if (_held.Any(c => c.Id == tailId))
            {
                // Every create since the last forward belongs to the tail call (it and its unstarted inputs).
                tailCall = new TailCall(tailId, [.. _held.Select(c => new TailCallPart(c.Create!.Updates, c.Create.ArgsBlob))]);
                _held.ForEach(c => c.Stage = DurableCallStage.TailCall);
                _held.Clear();
            }
            else
            {
                invalidTailCall = _calls.TryGetValue(tailId, out var known) && known.Stage == DurableCallStage.Forwarded
                    ? $"tail call {tailId} was already started as a child call"
                    : $"tail call {tailId} was not created right before the finish";
                await ForwardHeldAsync();
            }
        }
        else
        {
            await ForwardHeldAsync();
        }

        _finish = AllocationFinish.FromFinishEvent(finish, tailCall, invalidTailCall);
        return _finish;
    }

    /// <summary>Starts the held creates on the Server, in log order (later ones may take earlier ones' outputs).</summary>
    private async Task ForwardHeldAsync()
    {
        var held = _held.ToList();
        _held.Clear();
        foreach (var call in held)
        {
            try
            {
                await childCalls.StartAsync(call.Create!);
                call.Stage = DurableCallStage.Forwarded;
            }
            catch (Exception ex) when (!_closing.IsCancellationRequested && ex is not OperationCanceledException)
            {
                // Already acknowledged as started: a watcher of it gets a failed result instead.
                AllocationLog.FunctionCallFailed(logger, allocationId, call.Id, ex.Message);
                call.Stage = DurableCallStage.Failed;
            }
        }
    }

    private async Task SendResultAsync(DurableCall call, FunctionCallResultSpec result)
    {
        Fe.AllocationEventFunctionCallWatcherResult entry;
        try
        {
            entry = await childCalls.ToWatcherResultAsync(call.Id, result);
        }
        catch (Exception ex) when (!_closing.IsCancellationRequested && ex is not OperationCanceledException)
        {
            AllocationLog.WatcherResultUnreadable(logger, allocationId, call.Id, ex.Message);
            entry = FailedResult(call.Id);
        }

        if (call.Result == WatcherResultStage.Converting && !_closing.IsCancellationRequested)
        {
            Complete(call, entry);
        }
    }

    private async Task TimeOutAsync(DurableCall call, TimeSpan after)
    {
        if (after > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(after, time, _closing.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        // A result already on its way arrived in time; it wins.
        if (call.Result == WatcherResultStage.None && !_closing.IsCancellationRequested)
        {
            AllocationLog.WatcherTimedOut(logger, allocationId, call.Id);
            Complete(call, new Fe.AllocationEventFunctionCallWatcherResult
            {
                FunctionCallId = call.Id,
                WatcherStatus = Fe.FunctionCallWatcherStatus.Timedout,
                OutcomeCode = Fe.AllocationOutcomeCode.Failure,
            });
        }
    }

    /// <summary>Appends the watcher's one result and stops watching the call (a timed-out call keeps running on the Server).</summary>
    private void Complete(DurableCall call, Fe.AllocationEventFunctionCallWatcherResult entry)
    {
        call.Result = WatcherResultStage.Sent;
        log.Append(new Fe.AllocationEvent { FunctionCallWatcherResult = entry });
        StopWatching(call);
    }

    private void StopWatching(DurableCall call)
    {
        if (call.HoldsDeadline)
        {
            call.HoldsDeadline = false;
            deadline.Release();
        }

        if (call.Watching)
        {
            call.Watching = false;
            childCalls.Unwatch(call.Id);
        }
    }

    private void AppendCreated(string id, Google.Rpc.Status status, Google.Protobuf.ByteString? metadata)
    {
        var created = new Fe.AllocationEventFunctionCallCreated { FunctionCallId = id, Status = status };
        if (metadata is not null)
        {
            created.Metadata = metadata;
        }

        log.Append(new Fe.AllocationEvent { FunctionCallCreated = created });
    }

    /// <summary>A call that failed or never ran, as user code sees it: FunctionError("Function call failed").</summary>
    private static Fe.AllocationEventFunctionCallWatcherResult FailedResult(string id) => new()
    {
        FunctionCallId = id,
        WatcherStatus = Fe.FunctionCallWatcherStatus.Completed,
        OutcomeCode = Fe.AllocationOutcomeCode.Failure,
    };
}

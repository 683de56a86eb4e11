using Executor.Protocol.FunctionExecutorV1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace TestFunctionExecutor;

/// <summary>
/// FE protocol 0.1.3 as the real Python FE G2 (tensorlake &gt;= 0.5.106) runs an allocation:
/// <list type="bullet">
/// <item>the argument is read first; if that fails the allocation finishes INTERNAL_ERROR before any read is issued;</item>
/// <item>then the event-log reader starts: a read with after_clock 0, and the next one right after each accepted page;
/// an invalid page stops reading and shuts user code down at its next SDK call (INTERNAL_ERROR);</item>
/// <item>child calls go to the execution log: one batch per start (create_function_call, or
/// function_call_creation_failed), then user code waits for a function_call_created per call; one batch of watchers
/// per wait, then watcher_created and exactly one watcher_result per call;</item>
/// <item>the outcome is a finish_allocation batch (a tail call: create batch, its ack, then finish with
/// tail_call_durable_id); then the log and the reader stop, and the allocation is finished (state streams end,
/// delete is allowed).</item>
/// </list>
/// Output BLOBs, request state and progress still use the allocation state.
/// </summary>
internal sealed class AllocationRunner013 : AllocationRunner
{
    /// <summary>call_metadata of every child call: opaque bytes, as the real FE's pickled FunctionCallMetadata.</summary>
    private static readonly ByteString CallMetadata = ByteString.CopyFrom(TestFunctions.ChildCallMetadata());

    private readonly ChildCallTable _calls = new();
    private readonly AllocationEventProcessor _events;
    private readonly CancellationTokenSource _emergency = new();
    private int _childSequence;
    private int _readsBroken;

    public AllocationRunner013(Allocation allocation, FunctionExecutorHost host, FunctionScript script, FunctionRef function)
        : base(allocation, host, script, function)
    {
        EventLogReads = new EventLogReader(allocation.AllocationId);
        _events = new AllocationEventProcessor(allocation.AllocationId, _calls, host.Blobs, host.Stopping);
    }

    public ExecutionLogBuffer ExecutionLog { get; } = new();

    public EventLogReader EventLogReads { get; }

    public override bool Finished => State.IsFinished;

    /// <summary>The allocation as created: the real FE 0.1.3 never fills a result in list_allocations.</summary>
    public override Allocation Describe() => Allocation.Clone();

    /// <summary>True exactly once per allocation: the caller breaks that event-log reads stream (break_reads).</summary>
    public bool TryClaimReadsBreak() => Interlocked.Exchange(ref _readsBroken, 1) == 0;

    /// <summary>Only output_blob and request_state_operation_result exist in 0.1.3; anything else is INVALID_ARGUMENT.</summary>
    public override void Deliver(AllocationUpdate update)
    {
        string key;
        switch (update.UpdateCase)
        {
            case AllocationUpdate.UpdateOneofCase.OutputBlob:
                key = BlobKey(ClaimOutputBlobRequest(update.OutputBlob.Blob?.Id, orOldest: true));
                break;
            case AllocationUpdate.UpdateOneofCase.RequestStateOperationResult:
                key = OperationKey(update.RequestStateOperationResult.OperationId);
                break;
            default:
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"Unknown update type in AllocationUpdate for allocation {Id}"));
        }

        if (!TryDeliverReply(key, update))
        {
            FeLog.Error($"allocation {Id}: ignoring {update.UpdateCase} update for an unknown id ({key})");
        }
    }

    /// <summary>
    /// One batch with a create_function_call (argument uploaded first) or a function_call_creation_failed per call, then
    /// a wait for every function_call_created. A non-OK ack fails the call in user code: with the metadata it was sent,
    /// the original serialization error; with other metadata, an undecodable exception; without, "Failed to start
    /// function call".
    /// </summary>
    public override async Task<IReadOnlyList<ChildCall>> StartFunctionCallsAsync(IReadOnlyList<ChildCallSpec> calls, CancellationToken cancellationToken)
    {
        ThrowIfEmergency();
        var started = new List<(ChildCall Call, ChildCallTable.Entry Entry)>();
        var events = new List<AllocationExecutionEvent>();
        foreach (var spec in calls)
        {
            var id = TestFunctions.DurableId(Allocation.FunctionCallId, Interlocked.Increment(ref _childSequence));
            started.Add((new ChildCall(id, spec.FunctionName), _calls.Register(id, spec.SerializationFailure)));
            if (spec.SerializationFailure is { } metadata)
            {
                events.Add(new AllocationExecutionEvent
                {
                    FunctionCallCreationFailed = new AllocationExecutionEventFunctionCallCreationFailed { FunctionCallId = id, Metadata = ByteString.CopyFrom(metadata) },
                });
                continue;
            }

            SerializedObjectInsideBLOB? argument;
            BLOB? argsBlob;
            try
            {
                (argument, argsBlob) = await UploadArgumentAsync(spec, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // As the real FE when an event cannot be converted: the events so far and an INTERNAL_ERROR finish
                // go out as one batch, and user code is shut down.
                FeLog.Error($"allocation {Id}: error while converting create_function_call {id}: {ex.Message}");
                events.Add(ExecutionEvents.Failure(AllocationFailureReason.InternalError));
                QueueBatch(events);
                EmergencyShutdown("an execution event could not be converted");
                throw new EventLoopExitException();
            }

            var create = new AllocationExecutionEventCreateFunctionCall { Updates = CallUpdates(id, spec, argument, CallMetadata) };
            if (argsBlob is not null)
            {
                create.ArgsBlob = argsBlob;
            }

            events.Add(new AllocationExecutionEvent { CreateFunctionCall = create });
        }

        if (events.Count > 0)
        {
            QueueBatch(events);
        }

        var acks = new List<AllocationEventFunctionCallCreated>();
        foreach (var (_, entry) in started)
        {
            acks.Add(await HookWaitAsync(entry.Created.Task, cancellationToken).ConfigureAwait(false));
        }

        ThrowIfEmergency();
        for (var i = 0; i < started.Count; i++)
        {
            if (CreationError(started[i].Entry, acks[i]) is { } error)
            {
                throw error;
            }
        }

        return [.. started.Select(s => s.Call)];
    }

    /// <summary>
    /// One batch of create_function_call_watcher (at most one per call; with a deadline of now + <paramref name="timeout"/>
    /// when set — the FE keeps no timer, the executor answers TIMEDOUT), then a wait for every watcher_created and every
    /// watcher result. Calls whose result already arrived get no watcher.
    /// </summary>
    public override async Task<IReadOnlyList<ChildCallResult>> WatchFunctionCallsAsync(IReadOnlyList<ChildCall> calls, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        ThrowIfEmergency();
        var deadline = timeout is { } limit ? Timestamp.FromDateTime(DateTime.UtcNow + limit) : null;
        var entries = calls.Select(c => _calls.Get(c.Id)).ToList();
        var events = new List<AllocationExecutionEvent>();
        var pending = new List<ChildCallTable.Entry>();
        foreach (var entry in entries.Where(e => !e.WatcherStarted && _calls.FindActive(e.DurableId) is not null))
        {
            entry.WatcherStarted = true;
            var watcher = new AllocationExecutionEventCreateFunctionCallWatcher { FunctionCallId = entry.DurableId };
            if (deadline is not null)
            {
                watcher.Deadline = deadline;
            }

            events.Add(new AllocationExecutionEvent { CreateFunctionCallWatcher = watcher });
            pending.Add(entry);
        }

        if (events.Count > 0)
        {
            QueueBatch(events);
        }

        foreach (var entry in pending)
        {
            await HookWaitAsync(entry.WatcherCreated.Task, cancellationToken).ConfigureAwait(false);
        }

        ThrowIfEmergency();
        var results = new List<ChildCallResult>();
        foreach (var entry in entries)
        {
            results.Add(await HookWaitAsync(entry.Finished.Task, cancellationToken).ConfigureAwait(false));
        }

        ThrowIfEmergency();
        return results;
    }

    /// <summary>
    /// SIGTERM (G2): queue a FAILURE/FUNCTION_ERROR finish (dropped if a finish is queued already), shut user code down
    /// and stop the reader, which ends the reads streams and abandons the pending read.
    /// </summary>
    public void CancelForShutdown()
    {
        if (Finished)
        {
            return;
        }

        QueueBatch([ExecutionEvents.Failure(AllocationFailureReason.FunctionError)]);
        EmergencyShutdown("the Function Executor is shutting down");
        EventLogReads.Stop();
    }

    /// <summary>True once a get returned the terminal batch within <paramref name="timeout"/>.</summary>
    public Task<bool> WaitForShutdownTerminalAsync(TimeSpan timeout) => ExecutionLog.WaitForTerminalObservedAsync(timeout);

    protected override async Task RunAsync()
    {
        var stopping = Host.Stopping;
        FeLog.Info($"allocation {Id} started (request {Allocation.RequestId}, function call {Allocation.FunctionCallId})");
        if (Allocation.ReplayMode == ReplayMode.Strict)
        {
            FeLog.Error($"allocation {Id}: replay_mode STRICT is not supported by the test FE; running live");
        }

        Task? reading = null;
        try
        {
            try
            {
                await ReadFirstArgumentAsync(stopping).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stopping.IsCancellationRequested)
            {
                FeLog.Error($"allocation {Id}: error while preparing allocation run: {ex.Message}");
                QueueBatch([ExecutionEvents.Failure(AllocationFailureReason.InternalError)]);
                return;
            }

            reading = Task.Run(ProcessEventLogAsync);
            var outcome = await RunFunctionAsync(stopping).ConfigureAwait(false);
            if (outcome is not null)
            {
                QueueBatch([await FinishEventAsync(outcome, stopping).ConfigureAwait(false)]);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The process is stopping; whatever finish was queued stays the terminal one.
        }
        finally
        {
            ExecutionLog.Stop();
            EventLogReads.Stop();
            if (reading is not null)
            {
                await reading.ConfigureAwait(false);
            }

            State.MarkFinished();
            FeLog.Info($"allocation {Id} finished: {(ExecutionLog.Terminal is { } terminal ? ExecutionEvents.Describe(terminal) : "no outcome (stopping)")}");
        }
    }

    /// <summary>The finish event for an outcome. A tail call is started first; if that fails the result is INTERNAL_ERROR, as in the real FE.</summary>
    private async Task<AllocationExecutionEvent> FinishEventAsync(FunctionOutcome outcome, CancellationToken cancellationToken)
    {
        switch (outcome)
        {
            case FunctionOutcome.Value value:
                return ExecutionEvents.Value(value.Output, value.Uploaded);
            case FunctionOutcome.RequestError error:
                return ExecutionEvents.RequestError(error.Output, error.Uploaded);
            case FunctionOutcome.Failure failure:
                return ExecutionEvents.Failure(failure.Reason);
            case FunctionOutcome.TailCall tail:
                try
                {
                    var started = await StartFunctionCallsAsync([tail.Call], cancellationToken).ConfigureAwait(false);
                    return ExecutionEvents.TailCall(started[0].Id);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    FeLog.Error($"allocation {Id}: tail call could not be started: {ex.Message}");
                    return ExecutionEvents.Failure(AllocationFailureReason.InternalError);
                }

            default:
                throw new InvalidOperationException($"unknown outcome {outcome}");
        }
    }

    /// <summary>The event-log reader: one read at a time from after_clock 0, each next read right after a page is accepted.</summary>
    private async Task ProcessEventLogAsync()
    {
        ulong afterClock = 0;
        while (true)
        {
            FeLog.Info($"allocation {Id}: event log read after clock {afterClock}");
            var response = await EventLogReads.ReadAsync(afterClock).ConfigureAwait(false);
            if (response is null)
            {
                return;
            }

            try
            {
                var pageClock = EventLogPage.Validate(response, afterClock);
                foreach (var entry in response.Entries)
                {
                    await _events.ProcessAsync(entry).ConfigureAwait(false);
                }

                afterClock = pageClock;
            }
            catch (Exception ex)
            {
                FeLog.Error($"allocation {Id}: error processing the event log page after clock {afterClock}: {ex.Message}");
                EmergencyShutdown("the event log could not be processed");
                return;
            }
        }
    }

    private static Exception? CreationError(ChildCallTable.Entry call, AllocationEventFunctionCallCreated ack)
    {
        if (AllocationEventProcessor.IsOk(ack.Status))
        {
            return null;
        }

        if (ack.HasMetadata && ack.Metadata.Length > 0)
        {
            return call.CreationFailureMetadata is { } sent && ack.Metadata.Span.SequenceEqual(sent)
                ? new SerializationErrorException(TestFunctions.SerializationErrorMessage)
                : new FunctionErrorException($"Exception: Failed to deserialize user exception ({call.DurableId})");
        }

        return new FunctionErrorException($"InternalError: Failed to start function call ({call.DurableId})");
    }

    private void QueueBatch(IReadOnlyList<AllocationExecutionEvent> events)
    {
        var description = string.Join("; ", events.Select(ExecutionEvents.Describe));
        FeLog.Info(ExecutionLog.AddBatch(events)
            ? $"allocation {Id}: execution log batch: {description}"
            : $"allocation {Id}: execution log batch dropped after the terminal one: {description}");
    }

    /// <summary>Waits inside an SDK call: an emergency shutdown ends the wait with <see cref="EventLoopExitException"/>.</summary>
    private async Task<T> HookWaitAsync<T>(Task<T> task, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _emergency.Token);
        try
        {
            return await task.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_emergency.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new EventLoopExitException();
        }
    }

    private void ThrowIfEmergency()
    {
        if (_emergency.IsCancellationRequested)
        {
            throw new EventLoopExitException();
        }
    }

    private void EmergencyShutdown(string why)
    {
        if (!_emergency.IsCancellationRequested)
        {
            FeLog.Error($"allocation {Id}: emergency shutdown of user code: {why}");
            _emergency.Cancel();
        }
    }

}

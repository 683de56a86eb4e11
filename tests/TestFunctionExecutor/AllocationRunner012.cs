using Executor.Protocol.FunctionExecutorV1;
using Google.Protobuf;

namespace TestFunctionExecutor;

/// <summary>
/// FE protocol 0.1.2: everything travels in the allocation state. Function calls are listed in
/// <c>function_calls</c> and wait for <c>function_call_creation_result</c>, watchers are listed in
/// <c>function_call_watchers</c> and wait for <c>function_call_result</c>, and the outcome is
/// <c>AllocationState.result</c>, which ends the watch streams.
/// </summary>
internal sealed class AllocationRunner012(Allocation allocation, FunctionExecutorHost host, FunctionScript script, FunctionRef function)
    : AllocationRunner(allocation, host, script, function)
{
    public override bool Finished => State.HasResult;

    /// <summary>The allocation with its result once finished.</summary>
    public override Allocation Describe()
    {
        var copy = Allocation.Clone();
        var result = State.Snapshot().Result;
        if (result is not null)
        {
            copy.Result = result;
        }

        return copy;
    }

    /// <summary>Hands an executor reply to the waiting request; unknown ids are logged and dropped like in the real FE.</summary>
    public override void Deliver(AllocationUpdate update)
    {
        string? key = update.UpdateCase switch
        {
            AllocationUpdate.UpdateOneofCase.OutputBlob => BlobKey(ClaimOutputBlobRequest(update.OutputBlob.Blob?.Id, orOldest: false)),
            AllocationUpdate.UpdateOneofCase.OutputBlobDeprecated => BlobKey(ClaimOutputBlobRequest(update.OutputBlobDeprecated.Id, orOldest: false)),
            AllocationUpdate.UpdateOneofCase.FunctionCallCreationResult => CallKey(
                update.FunctionCallCreationResult.HasAllocationFunctionCallId
                    ? update.FunctionCallCreationResult.AllocationFunctionCallId
                    : update.FunctionCallCreationResult.FunctionCallId),
            AllocationUpdate.UpdateOneofCase.FunctionCallResult => WatcherKey(
                update.FunctionCallResult.HasWatcherId ? update.FunctionCallResult.WatcherId : update.FunctionCallResult.FunctionCallId),
            AllocationUpdate.UpdateOneofCase.RequestStateOperationResult => OperationKey(update.RequestStateOperationResult.OperationId),
            _ => null,
        };

        if (key is null || !TryDeliverReply(key, update))
        {
            FeLog.Error($"allocation {Id}: ignoring {update.UpdateCase} update for an unknown id ({key ?? "none"})");
        }
    }

    /// <summary>
    /// Uploads each argument, lists every call in function_calls and waits for all creation results; a non-OK status is
    /// FUNCTION_ERROR. An argument that cannot be serialized fails in user code before anything is listed.
    /// </summary>
    public override async Task<IReadOnlyList<ChildCall>> StartFunctionCallsAsync(IReadOnlyList<ChildCallSpec> calls, CancellationToken cancellationToken)
    {
        if (calls.Any(c => c.SerializationFailure is not null))
        {
            throw new SerializationErrorException(TestFunctions.SerializationErrorMessage);
        }

        var prepared = new List<(ChildCall Call, AllocationFunctionCall Listed)>();
        foreach (var spec in calls)
        {
            var (argument, argsBlob) = await UploadArgumentAsync(spec, cancellationToken).ConfigureAwait(false);
            var childId = $"{Id}.call.{NewId("fn")}";
            var listed = new AllocationFunctionCall { Id = NewId("call"), Updates = CallUpdates(childId, spec, argument, ByteString.Empty) };
            if (argsBlob is not null)
            {
                listed.ArgsBlob = argsBlob;
            }

            prepared.Add((new ChildCall(childId, spec.FunctionName), listed));
        }

        var creations = await Task.WhenAll(prepared.Select(p => CreateAsync(p.Listed, cancellationToken))).ConfigureAwait(false);
        for (var i = 0; i < creations.Length; i++)
        {
            if (creations[i].Status is { } status && status.Code != StatusOk)
            {
                throw new FunctionErrorException($"function call {prepared[i].Listed.Id} could not be started: {status.Code} {status.Message}");
            }
        }

        return [.. prepared.Select(p => p.Call)];
    }

    /// <summary>
    /// Lists a watcher per call and waits for their function_call_result: SUCCESS gives the value bytes, anything else a
    /// failure. 0.1.2 watchers carry no deadline, so a timeout is kept here: watchers still unanswered then are withdrawn
    /// and their calls count as timed out.
    /// </summary>
    public override async Task<IReadOnlyList<ChildCallResult>> WatchFunctionCallsAsync(IReadOnlyList<ChildCall> calls, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } limit)
        {
            timer.CancelAfter(limit);
        }

        return await Task.WhenAll(calls.Select(c => WatchAsync(c, timer.Token, cancellationToken))).ConfigureAwait(false);
    }

    protected override async Task RunAsync()
    {
        var stopping = Host.Stopping;
        FeLog.Info($"allocation {Id} started (request {Allocation.RequestId}, function call {Allocation.FunctionCallId})");
        var outcome = await RunFunctionAsync(stopping).ConfigureAwait(false);
        if (outcome is null)
        {
            return;
        }

        AllocationResult result;
        try
        {
            result = await ToResultAsync(outcome, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex)
        {
            FeLog.Error($"allocation {Id}: internal error: {ex}");
            result = Results.Failure(AllocationFailureReason.InternalError);
        }

        State.Update(s => s.Result = result);
        FeLog.Info($"allocation {Id} finished: {result.OutcomeCode}{(result.HasFailureReason ? " " + result.FailureReason : string.Empty)}");
    }

    /// <summary>The AllocationResult for an outcome; a tail call's argument is uploaded first and its BLOB becomes the outputs BLOB.</summary>
    private async Task<AllocationResult> ToResultAsync(FunctionOutcome outcome, CancellationToken cancellationToken)
    {
        switch (outcome)
        {
            case FunctionOutcome.Value value:
                return Results.Value(value.Output, value.Uploaded);
            case FunctionOutcome.RequestError error:
                return Results.RequestError(error.Output, error.Uploaded);
            case FunctionOutcome.Failure failure:
                return Results.Failure(failure.Reason);
            case FunctionOutcome.TailCall tail:
                var (argument, argsBlob) = await UploadArgumentAsync(tail.Call, cancellationToken).ConfigureAwait(false);
                var childId = $"{Id}.tail.{NewId("fn")}";
                return Results.Updates(CallUpdates(childId, tail.Call, argument, ByteString.Empty), argsBlob);
            default:
                throw new InvalidOperationException($"unknown outcome {outcome}");
        }
    }

    private async Task<AllocationFunctionCallCreationResult> CreateAsync(AllocationFunctionCall call, CancellationToken cancellationToken)
    {
        var id = call.Id;
        var reply = await RequestAsync(CallKey(id), s => s.FunctionCalls.Add(call),
            s => s.FunctionCalls.Remove(s.FunctionCalls.First(c => c.Id == id)), cancellationToken).ConfigureAwait(false);
        return reply.FunctionCallCreationResult;
    }

    private async Task<ChildCallResult> WatchAsync(ChildCall call, CancellationToken timer, CancellationToken cancellationToken)
    {
        var id = NewId("watcher");
        // Both the current and the deprecated fields, as the real FE fills them.
        var watcher = new AllocationFunctionCallWatcher { Id = id, WatcherId = id, RootFunctionCallId = call.Id, FunctionCallId = call.Id };
        AllocationFunctionCallResult result;
        FeLog.Info($"allocation {Id}: watching function call {call.Id} (watcher {id})");
        try
        {
            var reply = await RequestAsync(WatcherKey(id), s => s.FunctionCallWatchers.Add(watcher),
                s => s.FunctionCallWatchers.Remove(s.FunctionCallWatchers.First(w => w.Id == id)), timer).ConfigureAwait(false);
            result = reply.FunctionCallResult;
        }
        catch (OperationCanceledException) when (timer.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            FeLog.Info($"allocation {Id}: watcher {id} of function call {call.Id} timed out");
            return ChildCallResult.TimedOut();
        }

        if (result.OutcomeCode != AllocationOutcomeCode.Success)
        {
            return ChildCallResult.Failed($"child call {call.Id} ended {result.OutcomeCode}");
        }

        var bytes = Array.Empty<byte>();
        if (result.ValueOutput is { } value && result.ValueBlob is { } valueBlob)
        {
            bytes = await Blobs.ReadAsync(valueBlob, (long)value.Offset, (long)(value.Manifest?.Size ?? 0), cancellationToken).ConfigureAwait(false);
        }

        return ChildCallResult.Succeeded(bytes);
    }
}

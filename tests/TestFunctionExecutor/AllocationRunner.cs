using System.Collections.Concurrent;
using Executor.Protocol.FunctionExecutorV1;

namespace TestFunctionExecutor;

/// <summary>
/// Runs one allocation in the background and offers the scripted function body the requests
/// a real FE makes to the executor: each request is added to the allocation state, the body
/// waits for the matching <c>send_allocation_update</c> reply, then the request is removed.
/// </summary>
internal sealed class AllocationRunner
{
    private const int StatusOk = 0;

    private readonly FunctionExecutorHost _host;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<AllocationUpdate>> _awaitingReplies = new(StringComparer.Ordinal);
    private int _nextId;

    public AllocationRunner(Allocation allocation, FunctionExecutorHost host, FunctionScript script, FunctionRef function)
    {
        Allocation = allocation;
        _host = host;
        Script = script;
        Function = function;
    }

    public Allocation Allocation { get; }

    public string Id => Allocation.AllocationId;

    public FunctionScript Script { get; }

    public FunctionRef Function { get; }

    public AllocationStateBox State { get; } = new();

    public BlobStore Blobs => _host.Blobs;

    public bool Finished => State.HasResult;

    private int _watchBroken;

    /// <summary>True exactly once per allocation: the caller breaks that watch stream (break_watch).</summary>
    public bool TryClaimWatchBreak() => Interlocked.Exchange(ref _watchBroken, 1) == 0;

    public void Start() => _ = Task.Run(RunAsync);

    /// <summary>The allocation as list_allocations shows it (with its result once finished).</summary>
    public Allocation Describe()
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
    public void Deliver(AllocationUpdate update)
    {
        string? key = update.UpdateCase switch
        {
            AllocationUpdate.UpdateOneofCase.OutputBlob => BlobKey(update.OutputBlob.Blob?.Id),
            AllocationUpdate.UpdateOneofCase.OutputBlobDeprecated => BlobKey(update.OutputBlobDeprecated.Id),
            AllocationUpdate.UpdateOneofCase.FunctionCallCreationResult => CallKey(
                update.FunctionCallCreationResult.HasAllocationFunctionCallId
                    ? update.FunctionCallCreationResult.AllocationFunctionCallId
                    : update.FunctionCallCreationResult.FunctionCallId),
            AllocationUpdate.UpdateOneofCase.FunctionCallResult => WatcherKey(
                update.FunctionCallResult.HasWatcherId ? update.FunctionCallResult.WatcherId : update.FunctionCallResult.FunctionCallId),
            AllocationUpdate.UpdateOneofCase.RequestStateOperationResult => OperationKey(update.RequestStateOperationResult.OperationId),
            _ => null,
        };

        if (key is null || !_awaitingReplies.TryRemove(key, out var waiter))
        {
            FeLog.Error($"allocation {Id}: ignoring {update.UpdateCase} update for an unknown id ({key ?? "none"})");
            return;
        }

        waiter.TrySetResult(update);
    }

    public string NewId(string kind) => $"{kind}-{Interlocked.Increment(ref _nextId)}";

    public async Task<FunctionInput> ReadFirstArgumentAsync(CancellationToken cancellationToken)
    {
        var inputs = Allocation.Inputs;
        if (inputs.Args.Count == 0)
        {
            return new FunctionInput([], null);
        }

        var arg = inputs.Args[0];
        var size = (long)(arg.Manifest?.Size ?? 0);
        var bytes = await Blobs.ReadAsync(inputs.ArgBlobs[0], (long)arg.Offset, size, cancellationToken).ConfigureAwait(false);
        if (arg.Manifest is { HasSha256Hash: true } manifest)
        {
            var actual = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
            if (!string.Equals(actual, manifest.Sha256Hash, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"argument sha256 mismatch: manifest {manifest.Sha256Hash}, read {actual}");
            }
        }

        return new FunctionInput(bytes, arg.Manifest);
    }

    /// <summary>Asks the executor for a writable BLOB of <paramref name="size"/> bytes (output_blob_requests).</summary>
    public async Task<BLOB> RequestOutputBlobAsync(long size, CancellationToken cancellationToken)
    {
        var id = NewId("blob");
        var reply = await RequestAsync(BlobKey(id), s => s.OutputBlobRequests.Add(new AllocationOutputBLOBRequest { Id = id, Size = (ulong)size }),
            s => s.OutputBlobRequests.Remove(s.OutputBlobRequests.First(r => r.Id == id)), cancellationToken).ConfigureAwait(false);

        if (reply.UpdateCase == AllocationUpdate.UpdateOneofCase.OutputBlobDeprecated)
        {
            return reply.OutputBlobDeprecated;
        }

        var status = reply.OutputBlob.Status;
        if (status is not null && status.Code != StatusOk)
        {
            throw new InvalidOperationException($"executor failed to create output BLOB {id}: {status.Code} {status.Message}");
        }

        return reply.OutputBlob.Blob;
    }

    /// <summary>Gets an output BLOB for <paramref name="data"/>, uploads it and describes it as a value at offset 0.</summary>
    public async Task<(SerializedObjectInsideBLOB Value, BLOB Uploaded)> UploadValueAsync(
        OutputSource data, SerializedObjectEncoding encoding, ulong encodingVersion, string? contentType, CancellationToken cancellationToken)
    {
        var blob = await RequestOutputBlobAsync(data.Length, cancellationToken).ConfigureAwait(false);
        var uploaded = await Blobs.WriteAsync(blob, data, cancellationToken).ConfigureAwait(false);
        return (Results.InsideBlob(encoding, encodingVersion, data.Length, data.Sha256Hex(), contentType), uploaded);
    }

    /// <summary>Lists a function call (function_calls) and waits for its function_call_creation_result.</summary>
    public async Task<AllocationFunctionCallCreationResult> StartFunctionCallAsync(string id, ExecutionPlanUpdates updates, BLOB? argsBlob, CancellationToken cancellationToken)
    {
        var call = new AllocationFunctionCall { Id = id, Updates = updates };
        if (argsBlob is not null)
        {
            call.ArgsBlob = argsBlob;
        }

        var reply = await RequestAsync(CallKey(id), s => s.FunctionCalls.Add(call),
            s => s.FunctionCalls.Remove(s.FunctionCalls.First(c => c.Id == id)), cancellationToken).ConfigureAwait(false);
        return reply.FunctionCallCreationResult;
    }

    /// <summary>Lists a watcher (function_call_watchers) and waits for the executor's function_call_result.</summary>
    public async Task<AllocationFunctionCallResult> WatchFunctionCallAsync(string rootFunctionCallId, CancellationToken cancellationToken)
    {
        var id = NewId("watcher");
        // Both the current and the deprecated fields, as the real FE fills them.
        var watcher = new AllocationFunctionCallWatcher { Id = id, WatcherId = id, RootFunctionCallId = rootFunctionCallId, FunctionCallId = rootFunctionCallId };
        var reply = await RequestAsync(WatcherKey(id), s => s.FunctionCallWatchers.Add(watcher),
            s => s.FunctionCallWatchers.Remove(s.FunctionCallWatchers.First(w => w.Id == id)), cancellationToken).ConfigureAwait(false);
        return reply.FunctionCallResult;
    }

    /// <summary>Lists a request-state operation and waits for its result (any status; callers check it).</summary>
    public async Task<AllocationRequestStateOperationResult> RequestStateOperationAsync(AllocationRequestStateOperation operation, CancellationToken cancellationToken)
    {
        var id = operation.OperationId;
        var reply = await RequestAsync(OperationKey(id), s => s.RequestStateOperations.Add(operation),
            s => s.RequestStateOperations.Remove(s.RequestStateOperations.First(o => o.OperationId == id)), cancellationToken).ConfigureAwait(false);
        return reply.RequestStateOperationResult;
    }

    public void ReportProgress(float current, float total)
        => State.Update(s => s.Progress = new AllocationProgress { Current = current, Total = total });

    private async Task<AllocationUpdate> RequestAsync(string key, Action<AllocationState> add, Action<AllocationState> remove, CancellationToken cancellationToken)
    {
        // Register before publishing so a fast reply cannot arrive before anyone waits for it.
        var waiter = new TaskCompletionSource<AllocationUpdate>(TaskCreationOptions.RunContinuationsAsynchronously);
        _awaitingReplies[key] = waiter;
        State.Update(add);
        try
        {
            return await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _awaitingReplies.TryRemove(key, out _);
            if (!State.HasResult)
            {
                State.Update(remove);
            }
        }
    }

    private async Task RunAsync()
    {
        var stopping = _host.Stopping;
        FeLog.Info($"allocation {Id} started (request {Allocation.RequestId}, function call {Allocation.FunctionCallId})");
        AllocationResult result;
        try
        {
            result = await AllocationFunctions.RunAsync(this, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return;
        }
        catch (FunctionErrorException ex)
        {
            FeLog.Error($"allocation {Id}: function error: {ex.Message}");
            result = Results.Failure(AllocationFailureReason.FunctionError);
        }
        catch (Exception ex)
        {
            FeLog.Error($"allocation {Id}: internal error: {ex}");
            result = Results.Failure(AllocationFailureReason.InternalError);
        }

        State.Update(s => s.Result = result);
        FeLog.Info($"allocation {Id} finished: {result.OutcomeCode}{(result.HasFailureReason ? " " + result.FailureReason : string.Empty)}");
    }

    private static string BlobKey(string? id) => "blob:" + id;

    private static string CallKey(string id) => "call:" + id;

    private static string WatcherKey(string id) => "watcher:" + id;

    private static string OperationKey(string id) => "operation:" + id;
}

using System.Collections.Concurrent;
using Executor.Protocol.FunctionExecutorV1;
using Google.Protobuf;

namespace TestFunctionExecutor;

/// <summary>
/// Runs one allocation in the background and offers the scripted function body (see
/// <see cref="AllocationFunctions"/>) the requests a real FE makes to the executor. Output BLOBs,
/// request state and progress go through the allocation state in both protocols: each request is
/// added to the state, the body waits for the matching <c>send_allocation_update</c> reply, then the
/// request is removed. Child calls and the outcome are protocol-specific:
/// <see cref="AllocationRunner012"/> (AllocationState) and <see cref="AllocationRunner013"/>
/// (execution log and event log).
/// </summary>
internal abstract class AllocationRunner
{
    protected const int StatusOk = 0;

    private readonly ConcurrentDictionary<string, TaskCompletionSource<AllocationUpdate>> _awaitingReplies = new(StringComparer.Ordinal);
    private readonly Lock _blobOrderGate = new();
    private readonly List<string> _pendingBlobIds = [];
    private Task<FunctionInput>? _firstArgument;
    private int _nextId;
    private int _watchBroken;

    protected AllocationRunner(Allocation allocation, FunctionExecutorHost host, FunctionScript script, FunctionRef function)
    {
        Allocation = allocation;
        Host = host;
        Script = script;
        Function = function;
    }

    public Allocation Allocation { get; }

    public string Id => Allocation.AllocationId;

    public FunctionScript Script { get; }

    public FunctionRef Function { get; }

    public AllocationStateBox State { get; } = new();

    public BlobStore Blobs => Host.Blobs;

    /// <summary>Fully finished: delete_allocation is allowed and send_allocation_update is refused.</summary>
    public abstract bool Finished { get; }

    protected FunctionExecutorHost Host { get; }

    /// <summary>True exactly once per allocation: the caller breaks that watch stream (break_watch).</summary>
    public bool TryClaimWatchBreak() => Interlocked.Exchange(ref _watchBroken, 1) == 0;

    public void Start() => _ = Task.Run(RunAsync);

    /// <summary>The allocation as list_allocations shows it.</summary>
    public abstract Allocation Describe();

    /// <summary>Applies an executor reply (send_allocation_update); throws an RpcException for updates the protocol does not accept.</summary>
    public abstract void Deliver(AllocationUpdate update);

    /// <summary>Starts child calls together (0.1.3: one execution-log batch) and waits until each is created; throws what user code would get when one is not.</summary>
    public abstract Task<IReadOnlyList<ChildCall>> StartFunctionCallsAsync(IReadOnlyList<ChildCallSpec> calls, CancellationToken cancellationToken);

    /// <summary>Waits for started child calls (0.1.3: one batch of watchers, with a deadline when <paramref name="timeout"/> is set).</summary>
    public abstract Task<IReadOnlyList<ChildCallResult>> WatchFunctionCallsAsync(IReadOnlyList<ChildCall> calls, TimeSpan? timeout, CancellationToken cancellationToken);

    protected abstract Task RunAsync();

    public string NewId(string kind) => $"{kind}-{Interlocked.Increment(ref _nextId)}";

    /// <summary>The first argument, read once (checking its SHA-256 when the manifest has one) and then cached.</summary>
    public Task<FunctionInput> ReadFirstArgumentAsync(CancellationToken cancellationToken)
        => _firstArgument ??= ReadFirstArgumentCoreAsync(cancellationToken);

    /// <summary>Asks the executor for a writable BLOB of <paramref name="size"/> bytes (output_blob_requests).</summary>
    public async Task<BLOB> RequestOutputBlobAsync(long size, CancellationToken cancellationToken)
    {
        var id = NewId("blob");
        lock (_blobOrderGate)
        {
            _pendingBlobIds.Add(id);
        }

        AllocationUpdate reply;
        try
        {
            reply = await RequestAsync(BlobKey(id), s => s.OutputBlobRequests.Add(new AllocationOutputBLOBRequest { Id = id, Size = (ulong)size }),
                s => s.OutputBlobRequests.Remove(s.OutputBlobRequests.First(r => r.Id == id)), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_blobOrderGate)
            {
                _pendingBlobIds.Remove(id);
            }
        }

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

    /// <summary>Writes a request error message into inputs.request_error_blob, as the real FE does for a RequestError.</summary>
    public async Task<FunctionOutcome> RequestErrorAsync(string message, CancellationToken cancellationToken)
    {
        var data = new BytesSource(FunctionInput.Utf8(message));
        var uploaded = await Blobs.WriteAsync(Allocation.Inputs.RequestErrorBlob, data, cancellationToken).ConfigureAwait(false);
        var output = Results.InsideBlob(SerializedObjectEncoding.Utf8Text, 0, data.Length, data.Sha256Hex(), contentType: null);
        return new FunctionOutcome.RequestError(output, uploaded);
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

    /// <summary>
    /// Runs the scripted function and turns what escapes it into an outcome like the real FE:
    /// FunctionErrorException (SDK errors and user exceptions) → FUNCTION_ERROR, RequestErrorException →
    /// REQUEST_ERROR, anything else → INTERNAL_ERROR. Null when the process is stopping.
    /// </summary>
    protected async Task<FunctionOutcome?> RunFunctionAsync(CancellationToken stopping)
    {
        try
        {
            return await AllocationFunctions.RunAsync(this, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return null;
        }
        catch (FunctionErrorException ex)
        {
            FeLog.Error($"allocation {Id}: function error: {ex.Message}");
            return new FunctionOutcome.Failure(AllocationFailureReason.FunctionError);
        }
        catch (RequestErrorException ex)
        {
            FeLog.Error($"allocation {Id}: request error: {ex.Message}");
            try
            {
                return await RequestErrorAsync(ex.Message, stopping).ConfigureAwait(false);
            }
            catch (Exception uploadError) when (uploadError is not OperationCanceledException || !stopping.IsCancellationRequested)
            {
                FeLog.Error($"allocation {Id}: internal error: {uploadError}");
                return new FunctionOutcome.Failure(AllocationFailureReason.InternalError);
            }
        }
        catch (Exception ex)
        {
            FeLog.Error($"allocation {Id}: internal error: {ex}");
            return new FunctionOutcome.Failure(AllocationFailureReason.InternalError);
        }
    }

    /// <summary>Uploads a child call's argument (if any) into a new output BLOB.</summary>
    protected async Task<(SerializedObjectInsideBLOB? Value, BLOB? ArgsBlob)> UploadArgumentAsync(ChildCallSpec spec, CancellationToken cancellationToken)
    {
        if (spec.Argument is not { } argument)
        {
            return (null, null);
        }

        var (value, uploaded) = await UploadValueAsync(argument.Data, argument.Encoding, argument.EncodingVersion, argument.ContentType, cancellationToken).ConfigureAwait(false);
        return (value, uploaded);
    }

    /// <summary>ExecutionPlanUpdates with one FunctionCall <paramref name="id"/> (= root_function_call_id) to a function of this application.</summary>
    protected ExecutionPlanUpdates CallUpdates(string id, ChildCallSpec spec, SerializedObjectInsideBLOB? argument, ByteString callMetadata)
    {
        var target = Function.Clone();
        target.FunctionName = spec.FunctionName;
        var call = new FunctionCall { Id = id, Target = target, CallMetadata = callMetadata };
        if (argument is not null)
        {
            call.Args.Add(new FunctionArg { Value = argument });
        }

        var updates = new ExecutionPlanUpdates { RootFunctionCallId = id };
        updates.Updates.Add(new ExecutionPlanUpdate { FunctionCall = call });
        return updates;
    }

    /// <summary>Hands an executor reply to the waiting request; false when nobody waits for that key.</summary>
    protected bool TryDeliverReply(string key, AllocationUpdate update)
    {
        if (!_awaitingReplies.TryRemove(key, out var waiter))
        {
            return false;
        }

        waiter.TrySetResult(update);
        return true;
    }

    /// <summary>
    /// The output BLOB request a reply answers, taken off the pending list at once so that the next reply cannot match
    /// it again: the reply's BLOB id, or — when that is empty and <paramref name="orOldest"/> (the real FE 0.1.3 does
    /// this for error replies without a BLOB) — the oldest request still unanswered.
    /// </summary>
    protected string? ClaimOutputBlobRequest(string? blobId, bool orOldest)
    {
        lock (_blobOrderGate)
        {
            if (string.IsNullOrEmpty(blobId))
            {
                if (!orOldest || _pendingBlobIds.Count == 0)
                {
                    return blobId;
                }

                blobId = _pendingBlobIds[0];
            }

            _pendingBlobIds.Remove(blobId);
            return blobId;
        }
    }

    /// <summary>Adds a request to the state, waits for its reply, removes it again.</summary>
    protected async Task<AllocationUpdate> RequestAsync(string key, Action<AllocationState> add, Action<AllocationState> remove, CancellationToken cancellationToken)
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

    protected static string BlobKey(string? id) => "blob:" + id;

    protected static string CallKey(string id) => "call:" + id;

    protected static string WatcherKey(string id) => "watcher:" + id;

    protected static string OperationKey(string id) => "operation:" + id;

    private async Task<FunctionInput> ReadFirstArgumentCoreAsync(CancellationToken cancellationToken)
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
}

using Grpc.Core;
using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.Allocations.Tests.Infrastructure;

/// <summary>
/// One allocation on a <see cref="ScriptedFunctionExecutor"/>: the script (its user code) asks for output BLOBs,
/// emits execution-log batches and waits for event-log entries; the executor's side arrives through the RPCs. The
/// reader keeps one read outstanding from the start, as the Python FE does, and checks every page as it does.
/// </summary>
internal sealed class ScriptedAllocation(Fe.Allocation allocation, ScriptedFunctionExecutorOptions options)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly object _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Fe.AllocationOutputBLOBRequest> _blobRequests = [];
    private readonly Dictionary<string, TaskCompletionSource<Fe.AllocationOutputBlob>> _blobReplies = new(StringComparer.Ordinal);
    private readonly Queue<Fe.AllocationExecutionEvent[]> _batches = new();
    private readonly List<Fe.AllocationEvent> _received = [];
    private readonly List<string> _violations = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _stateVersion;
    private bool _finished;
    private ulong _afterClock;
    private bool _readPending = true;
    private ulong? _lastAnsweredAfterClock;
    private int _readStreams;
    private int _brokenStream;
    private int _answers;
    private int _advances;
    private int _deletes;
    private Task _script = Task.CompletedTask;

    public string Id => allocation.AllocationId;

    public Fe.Allocation Allocation => allocation;

    /// <summary>What the executor did that the real FE would have failed the allocation for (or hung on).</summary>
    public IReadOnlyList<string> Violations
    {
        get
        {
            lock (_gate)
            {
                return [.. _violations];
            }
        }
    }

    /// <summary>The event-log entries the reader accepted, in order.</summary>
    public IReadOnlyList<Fe.AllocationEvent> Received
    {
        get
        {
            lock (_gate)
            {
                return [.. _received];
            }
        }
    }

    public int ReadStreamsOpened => Volatile.Read(ref _readStreams);

    public int Answers => Volatile.Read(ref _answers);

    public int Advances => Volatile.Read(ref _advances);

    public int Deletes => Volatile.Read(ref _deletes);

    /// <summary>Cancelled when the test ends: a script that waits forever waits on this.</summary>
    public CancellationToken Stopping => _stop.Token;

    /// <summary>The script's own failure, if any (it runs as the FE's user code).</summary>
    public Task Script => _script;

    public void Run(Func<ScriptedAllocation, Task> script) => _script = Task.Run(() => script(this));

    /// <summary>Asks for an output BLOB through the allocation state and waits for the executor's writable BLOB.</summary>
    public async Task<Fe.BLOB> RequestOutputBlobAsync(string id, ulong size)
    {
        var reply = new TaskCompletionSource<Fe.AllocationOutputBlob>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _blobReplies[id] = reply;
            _blobRequests.Add(new Fe.AllocationOutputBLOBRequest { Id = id, Size = size });
            _stateVersion++;
            Pulse();
        }

        var answer = await reply.Task.WaitAsync(Patience, _stop.Token);
        if (answer.Status.Code != 0 || answer.Blob.Id != id || answer.Blob.Chunks.Count == 0)
        {
            throw new InvalidOperationException($"output BLOB {id} refused: {answer.Status}");
        }

        return answer.Blob;
    }

    /// <summary>A BLOB as the FE returns it after writing <paramref name="bytes"/> into it: the used chunk with its ETag.</summary>
    public static Fe.BLOB Uploaded(Fe.BLOB writable, ulong bytes) => new()
    {
        Id = writable.Id,
        Chunks = { new Fe.BLOBChunk { Uri = writable.Chunks[0].Uri, Size = bytes, Etag = $"etag-{writable.Id}-1" } },
    };

    /// <summary>Queues one execution-log batch; a finish ends the reader and, once the runner is done, the state stream.</summary>
    public void Emit(params Fe.AllocationExecutionEvent[] batch)
    {
        lock (_gate)
        {
            _batches.Enqueue(batch);
            if (batch.Any(e => e.EventCase == Fe.AllocationExecutionEvent.EventOneofCase.FinishAllocation))
            {
                _finished = true;
                _readPending = false;
            }

            Pulse();
        }
    }

    /// <summary>Waits for the reader to accept an event-log entry that matches.</summary>
    public async Task<Fe.AllocationEvent> WaitForEntryAsync(Func<Fe.AllocationEvent, bool> match)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(Patience);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_received.FirstOrDefault(match) is { } entry)
                {
                    return entry;
                }

                changed = _changed.Task;
            }

            await changed.WaitAsync(timeout.Token);
        }
    }

    public async Task WatchStateAsync(IServerStreamWriter<Fe.AllocationState> stream, CancellationToken cancellationToken)
    {
        var sent = -1;
        while (true)
        {
            Task changed;
            Fe.AllocationState? state = null;
            lock (_gate)
            {
                if (_stateVersion != sent)
                {
                    sent = _stateVersion;
                    state = new Fe.AllocationState { Sha256Hash = $"state-{sent}", OutputBlobRequests = { _blobRequests.Select(r => r.Clone()) } };
                }
                else if (_finished)
                {
                    return;
                }

                changed = _changed.Task;
            }

            if (state is not null)
            {
                await stream.WriteAsync(state, cancellationToken);
                continue;
            }

            await changed.WaitAsync(cancellationToken);
        }
    }

    public void OnUpdate(Fe.AllocationUpdate update)
    {
        lock (_gate)
        {
            if (_finished)
            {
                throw new RpcException(new Status(StatusCode.FailedPrecondition, "allocation finished"));
            }

            if (update.UpdateCase != Fe.AllocationUpdate.UpdateOneofCase.OutputBlob)
            {
                _violations.Add($"unsupported allocation update {update.UpdateCase}");
                throw new RpcException(new Status(StatusCode.InvalidArgument, "Unknown update type"));
            }

            if (!update.OutputBlob.Blob.HasId || !_blobReplies.TryGetValue(update.OutputBlob.Blob.Id, out var reply))
            {
                _violations.Add("output BLOB reply without a known id");
                return;
            }

            reply.TrySetResult(update.OutputBlob);
        }
    }

    /// <summary>The head batch, again and again until advanced; an empty batch once the log ended.</summary>
    public async Task<Fe.GetAllocationExecutionLogBatchResponse> GetBatchAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_batches.TryPeek(out var head))
                {
                    return new Fe.GetAllocationExecutionLogBatchResponse { Events = { head.Select(e => e.Clone()) } };
                }

                if (_finished)
                {
                    return new Fe.GetAllocationExecutionLogBatchResponse();
                }

                changed = _changed.Task;
            }

            await changed.WaitAsync(cancellationToken);
        }
    }

    public void Advance()
    {
        lock (_gate)
        {
            _advances++;
            _batches.TryDequeue(out _);
            Pulse();
        }
    }

    /// <summary>Publishes the pending read to this stream (a new stream gets it at once) until the reader stops.</summary>
    public async Task WatchReadsAsync(IServerStreamWriter<Fe.ReadAllocationEventLogRequest> stream, CancellationToken cancellationToken)
    {
        var number = Interlocked.Increment(ref _readStreams);
        ulong? published = null;
        if (number > 1 && options.RepublishAnsweredRead && _lastAnsweredAfterClock is { } answered)
        {
            await stream.WriteAsync(Read(answered), cancellationToken);
        }

        while (true)
        {
            Task changed;
            Fe.ReadAllocationEventLogRequest? read = null;
            lock (_gate)
            {
                if (_brokenStream == number)
                {
                    throw new RpcException(new Status(StatusCode.Unavailable, "read stream broken by the test"));
                }

                if (!_readPending && _finished)
                {
                    return;
                }

                if (_readPending && published != _afterClock)
                {
                    published = _afterClock;
                    read = Read(_afterClock);
                }

                changed = _changed.Task;
            }

            if (read is not null)
            {
                await stream.WriteAsync(read, cancellationToken);
                continue;
            }

            await changed.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Checks a page as the FE does; an answer without a pending read is ignored (G2), a bad page fails the allocation.</summary>
    public void OnReadResponse(Fe.ReadAllocationEventLogResponse page)
    {
        lock (_gate)
        {
            if (!_readPending)
            {
                _violations.Add($"answer with no read pending (after the finish or twice): last_clock {page.LastClock}");
                return;
            }

            var after = _afterClock;
            var pageClock = page.HasLastClock ? page.LastClock : after;
            var previous = after;
            if (pageClock < after || ((page.Entries.Count > 0 || page.HasMore) && pageClock <= after))
            {
                _violations.Add($"page clock {pageClock} does not move past read clock {after}");
                return;
            }

            foreach (var entry in page.Entries)
            {
                if (!entry.HasClock || entry.Clock <= previous || entry.Clock > pageClock || entry.EventCase == Fe.AllocationEvent.EventOneofCase.None)
                {
                    _violations.Add($"bad entry clock {entry.Clock} after {previous} in a page up to {pageClock} (read after {after})");
                    return;
                }

                previous = entry.Clock;
            }

            _answers++;
            _received.AddRange(page.Entries);
            _lastAnsweredAfterClock = after;
            _afterClock = pageClock;
            if (options.BreakReadsStreamAfterFirstAnswer && _answers == 1)
            {
                _brokenStream = _readStreams;
            }

            Pulse();
        }
    }

    public void Delete()
    {
        lock (_gate)
        {
            if (!_finished)
            {
                throw new RpcException(new Status(StatusCode.FailedPrecondition, "allocation is still running"));
            }

            _deletes++;
        }
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _script;
        }
        catch (OperationCanceledException)
        {
            // Stopped with the test.
        }
    }

    private Fe.ReadAllocationEventLogRequest Read(ulong afterClock) => new() { AllocationId = Id, AfterClock = afterClock, MaxEntries = 100 };

    private void Pulse()
    {
        var changed = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }
}

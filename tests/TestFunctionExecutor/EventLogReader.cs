using System.Runtime.CompilerServices;
using Executor.Protocol.FunctionExecutorV1;

namespace TestFunctionExecutor;

/// <summary>
/// 0.1.3: the FE's side of watch_allocation_event_log_reads / send_allocation_event_log_read_response,
/// as the real FE (G2) has it: at most one pending read; every read is published to every connected
/// stream, and a stream that connects while a read is pending gets it at once (republish on
/// reconnect); a response is the answer to the pending read, whatever it contains, and a response
/// with no pending read is refused (the caller logs and ignores it).
/// </summary>
internal sealed class EventLogReader(string allocationId)
{
    /// <summary>max_entries of every read, as the real FE asks.</summary>
    public const uint MaxEntries = 100;

    private readonly Lock _gate = new();
    private readonly ChangeNotifier _notifier = new();
    private ReadAllocationEventLogRequest? _current;
    private TaskCompletionSource<ReadAllocationEventLogResponse?>? _response;
    private long _generation;
    private bool _stopped;

    /// <summary>Publishes a read of the entries after <paramref name="afterClock"/> and waits for its answer; null once stopped.</summary>
    public Task<ReadAllocationEventLogResponse?> ReadAsync(ulong afterClock)
    {
        TaskCompletionSource changed;
        TaskCompletionSource<ReadAllocationEventLogResponse?> response;
        lock (_gate)
        {
            if (_stopped)
            {
                return Task.FromResult<ReadAllocationEventLogResponse?>(null);
            }

            if (_current is not null)
            {
                throw new InvalidOperationException("Allocation event log already has a pending read");
            }

            _current = new ReadAllocationEventLogRequest { AllocationId = allocationId, AfterClock = afterClock, MaxEntries = MaxEntries };
            _response = response = new TaskCompletionSource<ReadAllocationEventLogResponse?>(TaskCreationOptions.RunContinuationsAsynchronously);
            _generation++;
            changed = _notifier.Swap();
        }

        changed.TrySetResult();
        return response.Task;
    }

    /// <summary>Answers the pending read; false (nothing happens) when no read is pending or the reader stopped.</summary>
    public bool Deliver(ReadAllocationEventLogResponse response)
    {
        TaskCompletionSource<ReadAllocationEventLogResponse?>? waiter;
        lock (_gate)
        {
            if (_stopped || _current is null)
            {
                return false;
            }

            _current = null;
            waiter = _response;
            _response = null;
        }

        waiter?.TrySetResult(response);
        return true;
    }

    /// <summary>Ends every watch stream and abandons the pending read.</summary>
    public void Stop()
    {
        TaskCompletionSource changed;
        TaskCompletionSource<ReadAllocationEventLogResponse?>? waiter;
        lock (_gate)
        {
            _stopped = true;
            _current = null;
            waiter = _response;
            _response = null;
            changed = _notifier.Swap();
        }

        waiter?.TrySetResult(null);
        changed.TrySetResult();
    }

    /// <summary>The read requests for one watch stream: the pending one first (if any), then each new one, until stopped.</summary>
    public async IAsyncEnumerable<ReadAllocationEventLogRequest> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long observed;
        lock (_gate)
        {
            observed = _current is not null ? _generation - 1 : _generation;
        }

        while (true)
        {
            ReadAllocationEventLogRequest? request = null;
            Task? changed = null;
            bool stopped;
            lock (_gate)
            {
                stopped = _stopped;
                if (!stopped && _generation > observed)
                {
                    // A read answered before this stream saw it is skipped (null), as in the real FE.
                    observed = _generation;
                    request = _current;
                }
                else if (!stopped)
                {
                    changed = _notifier.Changed;
                }
            }

            if (stopped)
            {
                yield break;
            }

            if (request is not null)
            {
                yield return request;
            }
            else if (changed is not null)
            {
                await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }
}

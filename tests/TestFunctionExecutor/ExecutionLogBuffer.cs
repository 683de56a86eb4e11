using Executor.Protocol.FunctionExecutorV1;

namespace TestFunctionExecutor;

/// <summary>
/// 0.1.3: the FIFO of execution-log batches between the allocation (producer) and
/// get/advance_allocation_execution_log_batch (consumer), with the real FE's rules:
/// get waits for a batch and returns the head without removing it; advance pops the head
/// (not idempotent, OK when empty); nothing is queued after a batch with finish_allocation;
/// an empty answer (null here) only once stopped and empty.
/// </summary>
internal sealed class ExecutionLogBuffer
{
    private readonly Lock _gate = new();
    private readonly Queue<IReadOnlyList<AllocationExecutionEvent>> _batches = new();
    private readonly ChangeNotifier _notifier = new();
    private bool _stopped;
    private bool _terminalObserved;

    /// <summary>The finish_allocation queued, once there is one.</summary>
    public AllocationExecutionEventFinishAllocation? Terminal { get; private set; }

    /// <summary>Queues a batch; false (dropped) when a terminal batch was queued before.</summary>
    public bool AddBatch(IReadOnlyList<AllocationExecutionEvent> events)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            if (Terminal is not null)
            {
                return false;
            }

            _batches.Enqueue(events);
            Terminal = events.FirstOrDefault(e => e.EventCase == AllocationExecutionEvent.EventOneofCase.FinishAllocation)?.FinishAllocation;
            changed = _notifier.Swap();
        }

        changed.TrySetResult();
        return true;
    }

    /// <summary>The head batch, waiting for one; null once stopped with nothing queued.</summary>
    public async Task<IReadOnlyList<AllocationExecutionEvent>?> GetCurrentBatchAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            IReadOnlyList<AllocationExecutionEvent>? batch = null;
            TaskCompletionSource? observed = null;
            lock (_gate)
            {
                if (_batches.TryPeek(out var head))
                {
                    batch = head;
                    if (!_terminalObserved && head.Any(e => e.EventCase == AllocationExecutionEvent.EventOneofCase.FinishAllocation))
                    {
                        _terminalObserved = true;
                        observed = _notifier.Swap();
                    }
                }
                else if (_stopped)
                {
                    return null;
                }

                changed = _notifier.Changed;
            }

            if (batch is not null)
            {
                observed?.TrySetResult();
                return batch;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Drops the head batch if there is one.</summary>
    public void Advance()
    {
        lock (_gate)
        {
            _batches.TryDequeue(out _);
        }
    }

    /// <summary>No more batches: a get on an empty buffer answers empty from now on.</summary>
    public void Stop()
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            _stopped = true;
            changed = _notifier.Swap();
        }

        changed.TrySetResult();
    }

    /// <summary>True once a get has returned the terminal batch, false if that did not happen within <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForTerminalObservedAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout < TimeSpan.Zero ? TimeSpan.Zero : timeout);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_terminalObserved)
                {
                    return true;
                }

                changed = _notifier.Changed;
            }

            try
            {
                await changed.WaitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }
}

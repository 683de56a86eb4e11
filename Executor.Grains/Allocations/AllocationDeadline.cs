using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.Allocations;

/// <summary>
/// The allocation timeout (allocation_timeout_ms): it runs from the start, restarts on every new progress report,
/// and does not count time the function cannot be blamed for, which is held: our own work on its behalf and waiting
/// on child calls it watches without a deadline of its own. Used on one scheduler only.
/// </summary>
public sealed class AllocationDeadline(TimeSpan timeout, TimeProvider time)
{
    private DateTimeOffset _deadline;
    private DateTimeOffset _heldSince;
    private int _holds;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Fe.AllocationProgress? _lastProgress;

    /// <summary>True while something holds the deadline: its time does not count.</summary>
    public bool IsHeld => _holds > 0;

    public void Start()
    {
        var now = time.GetUtcNow();
        _deadline = now + timeout;

        // A hold in progress only suspends the new timeout from here on.
        _heldSince = now;
    }

    /// <summary>Stops the clock until the matching <see cref="Release"/>; holds nest, and overlapping holds count once.</summary>
    public void Hold()
    {
        if (_holds++ == 0)
        {
            _heldSince = time.GetUtcNow();
        }

        Signal();
    }

    public void Release()
    {
        if (_holds == 0)
        {
            return;
        }

        if (--_holds == 0)
        {
            _deadline += time.GetUtcNow() - _heldSince;
        }

        Signal();
    }

    /// <summary>Restarts the timeout when the FE reports progress it did not report before; true when it did.</summary>
    public bool OnProgress(Fe.AllocationProgress? progress)
    {
        if (progress is null || progress.Equals(_lastProgress))
        {
            return false;
        }

        _lastProgress = progress.Clone();
        Start();
        return true;
    }

    /// <summary>Waits for <paramref name="next"/> within the deadline; false when the deadline passed first.</summary>
    public async Task<bool> WaitAsync(Task next)
    {
        while (!next.IsCompleted)
        {
            var changed = _changed.Task;
            if (_holds > 0)
            {
                await Task.WhenAny(next, changed);
                continue;
            }

            var remaining = _deadline - time.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
            {
                return false;
            }

            using var delayCancellation = new CancellationTokenSource();
            var delay = Task.Delay(remaining, time, delayCancellation.Token);
            var first = await Task.WhenAny(next, changed, delay);
            delayCancellation.Cancel();
            if (first == delay && !next.IsCompleted && _holds == 0 && _deadline <= time.GetUtcNow())
            {
                return false;
            }
        }

        return true;
    }

    private void Signal()
    {
        var previous = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        previous.TrySetResult();
    }
}

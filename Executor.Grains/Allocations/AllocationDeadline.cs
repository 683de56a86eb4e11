using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.Allocations;

/// <summary>
/// The allocation timeout (allocation_timeout_ms): it runs from the start, restarts on every new progress report,
/// and does not count time the function cannot be blamed for: our own work on its behalf (extended by it, or held)
/// and waiting on child calls it watches without a deadline of its own (held). Used on one scheduler only.
/// </summary>
public sealed class AllocationDeadline(TimeSpan timeout, TimeProvider time)
{
    private DateTimeOffset _deadline;
    private int _holds;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Fe.AllocationProgress? _lastProgress;

    public TimeSpan Timeout => timeout;

    /// <summary>True while something holds the deadline: its time does not count.</summary>
    public bool IsHeld => _holds > 0;

    public void Start() => _deadline = time.GetUtcNow() + timeout;

    /// <summary>Adds time that must not count (our own work, measured by the caller).</summary>
    public void Extend(TimeSpan by) => _deadline += by;

    /// <summary>Stops the clock until the matching <see cref="Release"/>; holds nest.</summary>
    public void Hold()
    {
        _holds++;
        Signal();
    }

    public void Release()
    {
        if (_holds > 0)
        {
            _holds--;
            Signal();
        }
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
                var waitStarted = time.GetUtcNow();
                await Task.WhenAny(next, changed);
                _deadline += time.GetUtcNow() - waitStarted;
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
            if (first == delay && !next.IsCompleted && _deadline <= time.GetUtcNow())
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

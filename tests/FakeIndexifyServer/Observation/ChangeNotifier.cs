namespace FakeIndexifyServer.Observation;

/// <summary>
/// Wakes waiters whenever the fake's state changes, so waits re-check their condition on events instead of polling.
/// </summary>
internal sealed class ChangeNotifier
{
    private readonly object _gate = new();
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes at the next <see cref="Pulse"/>. Take it before checking the condition to miss nothing.</summary>
    public Task NextChange
    {
        get
        {
            lock (_gate)
            {
                return _next.Task;
            }
        }
    }

    public void Pulse()
    {
        TaskCompletionSource current;
        lock (_gate)
        {
            current = _next;
            _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        current.TrySetResult();
    }
}

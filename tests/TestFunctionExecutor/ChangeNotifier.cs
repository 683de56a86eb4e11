namespace TestFunctionExecutor;

/// <summary>
/// Wakes everyone waiting for "something changed" under a caller's lock: read <see cref="Changed"/>
/// while holding the lock, await it outside; <see cref="Swap"/> under the lock and complete the
/// returned source after releasing it.
/// </summary>
internal sealed class ChangeNotifier
{
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Changed => _changed.Task;

    public TaskCompletionSource Swap()
    {
        var previous = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return previous;
    }
}

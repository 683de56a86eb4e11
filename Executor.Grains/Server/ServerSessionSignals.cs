namespace Executor.Server;

/// <summary>
/// Lets the desired-state pump wait for "a report was accepted" without calling into the grain:
/// the stream may only be (re)opened once the Server has registered this executor.
/// </summary>
public sealed class ServerSessionSignals
{
    private readonly Lock _gate = new();
    private TaskCompletionSource _nextAccepted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _accepted;

    public long AcceptedReports => Interlocked.Read(ref _accepted);

    public void ReportAccepted()
    {
        TaskCompletionSource completed;
        lock (_gate)
        {
            _accepted++;
            completed = _nextAccepted;
            _nextAccepted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        completed.TrySetResult();
    }

    /// <summary>Completes at the next accepted report after this call.</summary>
    public Task WaitForNextAcceptedReportAsync(CancellationToken cancellationToken)
    {
        Task next;
        lock (_gate)
        {
            next = _nextAccepted.Task;
        }

        return next.WaitAsync(cancellationToken);
    }
}

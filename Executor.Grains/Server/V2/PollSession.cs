namespace Executor.Server.V2;

/// <summary>
/// Permission to poll under one registration. A full_state (re-registration) ends it: its polls are aborted and
/// awaited before the full_state goes out, so no poll can carry an ack from the old numbering past it.
/// </summary>
internal sealed class PollSession
{
    private readonly CancellationTokenSource _ended = new();
    private readonly Lock _gate = new();
    private readonly List<Task> _loops = [];

    public CancellationToken Ended => _ended.Token;

    public bool IsEnded => _ended.IsCancellationRequested;

    public void Track(Task loop)
    {
        lock (_gate)
        {
            _loops.Add(loop);
        }
    }

    /// <summary>Aborts the polls and waits (bounded) until none is running any more.</summary>
    public async Task EndAsync(TimeSpan bound)
    {
        Task[] loops;
        lock (_gate)
        {
            loops = [.. _loops];
        }

        await _ended.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(loops).WaitAsync(bound).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The loops' own failures are reported by the reader; here only their end matters.
        }
    }
}

namespace FakeIndexifyServer.Model;

/// <summary>A v2 poll waiting for items: woken (null) when something arrives, or ended the way a stream would be.</summary>
internal sealed class HeldPoll
{
    private readonly TaskCompletionSource<StreamEnding?> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<StreamEnding?> Done => _done.Task;

    public void Wake() => _done.TrySetResult(null);

    public void End(StreamEnding ending) => _done.TrySetResult(ending);
}

using System.Threading.Channels;
using Executor.Protocol.ServerV1;

namespace FakeIndexifyServer.Model;

/// <summary>
/// One open get_desired_executor_states stream. A one-slot channel that drops the older value gives the
/// real server's latest-value-wins delivery: a slow reader only ever sees the newest full snapshot.
/// </summary>
internal sealed class StreamSubscription(long streamId, ExecutorRecord executor)
{
    private readonly Channel<DesiredExecutorState> _slot = Channel.CreateBounded<DesiredExecutorState>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    public long StreamId { get; } = streamId;

    public ExecutorRecord Executor { get; } = executor;

    public string ExecutorId => Executor.Id;

    public int MessagesSent { get; set; }

    public ChannelReader<DesiredExecutorState> Reader => _slot.Reader;

    /// <summary>How the stream should end; set once by <see cref="End"/>.</summary>
    public StreamEnding? Ending { get; private set; }

    public void Offer(DesiredExecutorState snapshot) => _slot.Writer.TryWrite(snapshot);

    public void End(StreamEnding ending)
    {
        Ending ??= ending;
        _slot.Writer.TryComplete();
    }
}

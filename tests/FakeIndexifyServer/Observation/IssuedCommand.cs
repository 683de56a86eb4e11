using Executor.Protocol.ServerV2;

namespace FakeIndexifyServer;

/// <summary>A v2 command put in an executor's outbox (it stays there, re-delivered, until acknowledged).</summary>
public sealed record IssuedCommand(long Sequence, DateTimeOffset At, string ExecutorId, Command Command, bool InFullBatch)
{
    public ulong Seq => Command.Seq;
}

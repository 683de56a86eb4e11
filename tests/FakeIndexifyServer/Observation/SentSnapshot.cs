using Executor.Protocol.ServerV1;

namespace FakeIndexifyServer;

/// <summary>A DesiredExecutorState that was written to a stream.</summary>
public sealed record SentSnapshot(long Sequence, DateTimeOffset SentAt, string ExecutorId, long StreamId, DesiredExecutorState Snapshot);

using Executor.Protocol.ServerV2;

namespace FakeIndexifyServer;

/// <summary>A copy of one executor's v2 outboxes: what is numbered, acknowledged and still waiting for an ack.</summary>
public sealed record OutboxView(
    string ExecutorId,
    ulong LastCommandSeq,
    ulong AckedCommandSeq,
    IReadOnlyList<Command> PendingCommands,
    ulong LastResultSeq,
    IReadOnlyList<SequencedAllocationResult> PendingResults,
    bool AckRegressed);

using Executor.Protocol.ServerV2;

namespace FakeIndexifyServer;

/// <summary>What tests can ask about the v2 exchange: heartbeats, issued commands and results, polls and their acks.</summary>
public sealed partial class FakeServer
{
    /// <summary>Every heartbeat, with its send_state answer and the items skipped as malformed or failed.</summary>
    public IReadOnlyList<ReceivedHeartbeat> Heartbeats => Read(() => _heartbeats.ToArray());

    /// <summary>Every command put in an outbox, with its seq (a full batch is marked).</summary>
    public IReadOnlyList<IssuedCommand> IssuedCommands => Read(() => _issuedCommands.ToArray());

    /// <summary>Every function-call result put in an outbox, with its seq.</summary>
    public IReadOnlyList<IssuedResult> IssuedResults => Read(() => _issuedResults.ToArray());

    /// <summary>Every answered (or refused) poll, with the ack it carried and the seqs it returned.</summary>
    public IReadOnlyList<ReceivedPoll> Polls => Read(() => _polls.ToArray());

    /// <summary>Polls currently held waiting for items, over all executors.</summary>
    public int HeldPollCount => Read(() => _executors.Values.Sum(e => e.Commands.HeldCount + e.Results.HeldCount));

    public OutboxView? GetOutbox(string executorId) => Read(() => _executors.TryGetValue(executorId, out var executor)
        ? new OutboxView(
            executorId,
            executor.Commands.LastSeq,
            executor.Commands.AckedSeq,
            executor.Commands.Pending.Select(c => c.Clone()).ToArray(),
            executor.Results.LastSeq,
            executor.Results.Pending.Select(r => r.Clone()).ToArray(),
            executor.AckRegressed)
        : null);

    public Task<ReceivedHeartbeat> WaitForHeartbeatAsync(Func<ReceivedHeartbeat, bool> predicate, TimeSpan? timeout = null, long afterSequence = 0) =>
        WaitForAsync(_ => _heartbeats.FirstOrDefault(h => h.Sequence > afterSequence && predicate(h)), timeout, "a matching heartbeat");

    public Task<IssuedCommand> WaitForIssuedCommandAsync(string executorId, Func<Command, bool> predicate, TimeSpan? timeout = null, long afterSequence = 0) =>
        WaitForAsync(_ => _issuedCommands.FirstOrDefault(c => c.Sequence > afterSequence && c.ExecutorId == executorId && predicate(c.Command)), timeout, $"a matching command for {executorId}");

    public Task<IssuedResult> WaitForIssuedResultAsync(Func<IssuedResult, bool> predicate, TimeSpan? timeout = null, long afterSequence = 0) =>
        WaitForAsync(_ => _issuedResults.FirstOrDefault(r => r.Sequence > afterSequence && predicate(r)), timeout, "a matching function-call result");

    public Task<ReceivedPoll> WaitForPollAsync(Func<ReceivedPoll, bool> predicate, TimeSpan? timeout = null, long afterSequence = 0) =>
        WaitForAsync(_ => _polls.FirstOrDefault(p => p.Sequence > afterSequence && predicate(p)), timeout, "a matching poll");
}

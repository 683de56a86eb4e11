using Executor.Protocol.ServerV1;
using V2 = Executor.Protocol.ServerV2;

namespace FakeIndexifyServer.Model;

/// <summary>Everything the fake knows about one executor id. Guarded by the server's lock.</summary>
internal sealed class ExecutorRecord(string id)
{
    public string Id { get; } = id;

    /// <summary>The ExecutorState of the last written report (the "executor metadata").</summary>
    public ExecutorState? WrittenState { get; set; }

    /// <summary>Runtime data: the last (state_hash, server_clock) that passed validation; null when forgotten.</summary>
    public (string StateHash, ulong ServerClock)? RuntimeData { get; set; }

    /// <summary>Has a notification channel and server metadata: streams may open and snapshots are computed.</summary>
    public bool IsRegistered { get; set; }

    public bool IsTombstoned { get; set; }

    public DateTimeOffset Deadline { get; set; }

    public List<FunctionCallWatch> Watches { get; set; } = [];

    public List<StreamSubscription> Streams { get; } = [];

    /// <summary>Snapshot content (clock cleared) last handed to streams; used to push only on real changes.</summary>
    public DesiredExecutorState? LastPublishedContent { get; set; }

    public int ReportCount { get; set; }

    public int StateChangeReportCount { get; set; }

    public int RegistrationCount { get; set; }

    /// <summary>v2: the command outbox, reset by every full_state and deregistration.</summary>
    public SequencedOutbox<V2.Command> Commands { get; } = new((command, seq) => command.Seq = seq);

    /// <summary>v2: function-call results for the executor's allocations, reset like <see cref="Commands"/>.</summary>
    public SequencedOutbox<V2.SequencedAllocationResult> Results { get; } = new((result, seq) => result.Seq = seq);

    /// <summary>v2: a poll acknowledged less than before; the next heartbeat asks for the full state.</summary>
    public bool AckRegressed { get; set; }
}

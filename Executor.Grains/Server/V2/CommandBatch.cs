using ProtoV2 = Executor.Protocol.ServerV2;

namespace Executor.Server.V2;

/// <summary>What one poll_commands answer did to the ledger.</summary>
internal sealed class CommandBatch
{
    public int Applied { get; set; }

    public int Skipped { get; set; }

    public int Rejected { get; set; }

    public bool Changed { get; set; }

    /// <summary>The seq at which a gap stopped the batch, if any.</summary>
    public ulong? GapAt { get; set; }

    /// <summary>Answers owed to the Server (AllocationScheduled, SnapshotFailed, ContainerTerminated for refused containers).</summary>
    public List<ProtoV2.CommandResponse> Responses { get; } = [];

    public List<string> RemovedContainers { get; } = [];

    /// <summary>
    /// Whether this batch is worth a heartbeat of its own. AllocationScheduled alone is not: the Server only logs it,
    /// so it rides the next heartbeat (the allocation's outcome, or the periodic one) instead of costing every
    /// allocation a second heartbeat RPC that the outcome's heartbeat would then queue behind.
    /// </summary>
    public bool NeedsPromptHeartbeat =>
        GapAt is not null
        || RemovedContainers.Count > 0
        || Responses.Exists(r => r.ResponseCase != ProtoV2.CommandResponse.ResponseOneofCase.AllocationScheduled);
}

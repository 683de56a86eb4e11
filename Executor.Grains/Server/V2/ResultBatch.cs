namespace Executor.Server.V2;

/// <summary>What one poll_allocation_results answer did to the ledger.</summary>
internal sealed class ResultBatch
{
    public int Applied { get; set; }

    public int Rejected { get; set; }

    public int Dropped { get; set; }

    public bool Changed { get; set; }

    public ulong? GapFrom { get; set; }
}

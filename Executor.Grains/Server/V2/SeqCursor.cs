namespace Executor.Server.V2;

/// <summary>Where a sequenced item stands against the cursor.</summary>
internal enum SeqPosition
{
    /// <summary>Already applied (the Server re-delivers until the ack arrives): skip.</summary>
    Seen,

    /// <summary>The next one: apply, then advance.</summary>
    Next,

    /// <summary>Beyond the next one: something in between is missing; stop here.</summary>
    Gap,
}

/// <summary>
/// One sequence cursor (commands or results): items apply strictly in seq order, each at most once, and the ack sent
/// on the next poll names only what was applied. Zero means nothing applied since (re)registration, and then no ack
/// is sent at all: the Server restarted numbering at 1 and must not prune by an old number.
/// </summary>
internal sealed class SeqCursor
{
    public ulong LastApplied { get; private set; }

    public ulong? Ack => LastApplied == 0 ? null : LastApplied;

    public SeqPosition Classify(ulong seq) => seq <= LastApplied ? SeqPosition.Seen : seq == LastApplied + 1 ? SeqPosition.Next : SeqPosition.Gap;

    public void Advance(ulong seq)
    {
        if (seq > LastApplied)
        {
            LastApplied = seq;
        }
    }

    public void Reset() => LastApplied = 0;
}

using Google.Protobuf;

namespace FakeIndexifyServer.Model;

/// <summary>
/// One per-executor v2 outbox (commands or results): items numbered from 1 without gaps, re-delivered on every
/// poll until acknowledged, and the polls held while it is empty. Guarded by the server's lock.
/// </summary>
internal sealed class SequencedOutbox<T>(Action<T, ulong> setSeq)
    where T : IMessage
{
    private readonly List<(ulong Seq, T Item)> _pending = [];
    private readonly List<HeldPoll> _held = [];

    // A wake-up with nobody waiting is kept, and makes the next poll that finds nothing return at once (§3.8.4).
    private bool _storedWakeUp;

    /// <summary>Seq of the newest item; 0 when none was issued since the last reset.</summary>
    public ulong LastSeq { get; private set; }

    /// <summary>The highest acknowledgement kept (commands only keep max(old, new)).</summary>
    public ulong AckedSeq { get; private set; }

    /// <summary>Changes on every reset, so a poll held across one answers empty rather than with the new numbering.</summary>
    public int Generation { get; private set; }

    public int HeldCount => _held.Count;

    public IReadOnlyList<T> Pending => _pending.Select(p => p.Item).ToArray();

    public T Add(T item)
    {
        setSeq(item, ++LastSeq);
        _pending.Add((LastSeq, item));
        WakeHeld();
        return item;
    }

    /// <summary>Commands: the ack is kept as max(old, new) and everything up to it pruned. Returns true on a regression.</summary>
    public bool AcknowledgeKeepingMax(ulong acked)
    {
        var regressed = acked < AckedSeq;
        AckedSeq = Math.Max(AckedSeq, acked);
        _pending.RemoveAll(p => p.Seq <= AckedSeq);
        return regressed;
    }

    /// <summary>Results: everything up to the ack is dropped; nothing is remembered (no regression check).</summary>
    public void AcknowledgeUpTo(ulong acked)
    {
        AckedSeq = acked;
        _pending.RemoveAll(p => p.Seq <= acked);
    }

    /// <summary>Oldest items first while they fit in <paramref name="maxBytes"/>; always at least one.</summary>
    public List<(ulong Seq, T Item)> Take(int maxBytes)
    {
        var taken = new List<(ulong Seq, T Item)>();
        long used = 0;
        foreach (var pending in _pending)
        {
            var size = pending.Item.CalculateSize();
            if (taken.Count > 0 && used + size > maxBytes)
            {
                break;
            }

            taken.Add(pending);
            used += size;
        }

        return taken;
    }

    public bool TryConsumeStoredWakeUp()
    {
        var stored = _storedWakeUp;
        _storedWakeUp = false;
        return stored;
    }

    public HeldPoll Hold()
    {
        var held = new HeldPoll();
        _held.Add(held);
        return held;
    }

    public void Release(HeldPoll held) => _held.Remove(held);

    /// <summary>Numbering restarts at 1, undelivered items are discarded, held polls are woken (they answer empty).</summary>
    public void Reset()
    {
        _pending.Clear();
        LastSeq = 0;
        AckedSeq = 0;
        _storedWakeUp = false;
        Generation++;
        foreach (var held in _held)
        {
            held.Wake();
        }

        _held.Clear();
    }

    public void EndHeld(StreamEnding ending)
    {
        foreach (var held in _held)
        {
            held.End(ending);
        }

        _held.Clear();
    }

    private void WakeHeld()
    {
        if (_held.Count == 0)
        {
            _storedWakeUp = true;
            return;
        }

        foreach (var held in _held)
        {
            held.Wake();
        }

        _held.Clear();
    }
}

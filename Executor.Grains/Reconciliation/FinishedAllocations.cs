namespace Executor.Reconciliation;

/// <summary>
/// Ids of allocations this executor already finished. A snapshot computed before the Server saw a result can
/// arrive after it, still listing the allocation; remembering the id makes sure it never runs twice. Ids are
/// kept for a retention period after they were last seen in a snapshot (bounded in count), so memory does not
/// grow with the number of allocations ever run.
/// </summary>
public sealed class FinishedAllocations(TimeProvider time, TimeSpan retention, int capacity)
{
    private readonly Dictionary<string, long> _lastSeen = new(StringComparer.Ordinal);
    private readonly Queue<(string Id, long At)> _expiry = new();

    public int Count => _lastSeen.Count;

    public bool Contains(string allocationId) => _lastSeen.ContainsKey(allocationId);

    /// <returns>True when the id was not known yet.</returns>
    public bool Add(string allocationId)
    {
        var now = time.GetTimestamp();
        var added = _lastSeen.TryAdd(allocationId, now);
        if (!added)
        {
            _lastSeen[allocationId] = now;
        }

        _expiry.Enqueue((allocationId, now));
        return added;
    }

    /// <summary>Refreshes ids still listed by the Server (they stay until the Server stops listing them for a while).</summary>
    public void Touch(string allocationId)
    {
        if (_lastSeen.ContainsKey(allocationId))
        {
            var now = time.GetTimestamp();
            _lastSeen[allocationId] = now;
            _expiry.Enqueue((allocationId, now));
        }
    }

    public void Remove(string allocationId) => _lastSeen.Remove(allocationId);

    /// <summary>Forgets ids not seen for the retention period, and the oldest ones beyond the capacity.</summary>
    public void Prune(Func<string, bool> keep)
    {
        while (_expiry.TryPeek(out var head))
        {
            var expired = time.GetElapsedTime(head.At) >= retention;
            var over = _lastSeen.Count > capacity;
            if (!expired && !over && _expiry.Count <= capacity * 2)
            {
                break;
            }

            _expiry.Dequeue();

            // Only the latest queue entry of an id decides; older duplicates are skipped.
            if (_lastSeen.TryGetValue(head.Id, out var lastSeen) && lastSeen == head.At && (over || !keep(head.Id)))
            {
                _lastSeen.Remove(head.Id);
            }
        }
    }
}

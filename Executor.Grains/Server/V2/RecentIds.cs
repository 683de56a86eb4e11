namespace Executor.Server.V2;

/// <summary>A set of the most recent ids, bounded in count (oldest forgotten first): duplicate detection without unbounded growth.</summary>
internal sealed class RecentIds(int capacity)
{
    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();

    public int Count => _ids.Count;

    public bool Contains(string id) => _ids.Contains(id);

    public void Add(string id)
    {
        if (!_ids.Add(id))
        {
            return;
        }

        _order.Enqueue(id);
        while (_ids.Count > capacity && _order.TryDequeue(out var oldest))
        {
            _ids.Remove(oldest);
        }
    }
}

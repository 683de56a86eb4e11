using Google.Protobuf;

namespace Executor.Server;

/// <summary>
/// The Server's FE (v1 FunctionExecutorDescription) / container (v2 ContainerDescription) descriptions as received,
/// keyed by id. Reports echo them verbatim, as the Server requires, whichever protocol brought them: both messages
/// have the same fields and numbers, so the stored bytes read as either. Descriptions are immutable per id.
/// </summary>
public sealed class FunctionExecutorDescriptionStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Remembers the first description seen for an id (later copies are identical by contract).</summary>
    public void Remember(string id, IMessage description)
    {
        lock (_gate)
        {
            if (!_entries.ContainsKey(id))
            {
                _entries[id] = new Entry(description.ToByteString(), description);
            }
        }
    }

    /// <summary>The description as the wanted message type (parsed once per type and reused).</summary>
    public bool TryGet<T>(string id, MessageParser<T> parser, out T description)
        where T : IMessage<T>
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(id, out var entry))
            {
                description = default!;
                return false;
            }

            if (entry.Parsed is T parsed)
            {
                description = parsed;
                return true;
            }

            description = parser.ParseFrom(entry.Bytes);
            _entries[id] = entry with { Parsed = description };
            return true;
        }
    }

    /// <summary>Forgets descriptions nobody refers to any more.</summary>
    public void Retain(Func<string, bool> keep)
    {
        lock (_gate)
        {
            foreach (var id in _entries.Keys.Where(id => !keep(id)).ToList())
            {
                _entries.Remove(id);
            }
        }
    }

    private sealed record Entry(ByteString Bytes, object Parsed);
}

using System.Collections;
using System.Text;

namespace Executor.Logging;

/// <summary>
/// Named values opened as one logging scope. It is a list of key/value pairs, so the JSON console formatter writes
/// each pair as a named property of the scope (and the simple console formatter prints <see cref="ToString"/>).
/// </summary>
public sealed class LogScope : IReadOnlyList<KeyValuePair<string, object?>>
{
    private readonly KeyValuePair<string, object?>[] _items;
    private readonly string _text;

    public LogScope(KeyValuePair<string, object?>[] items)
    {
        _items = items;
        var text = new StringBuilder();
        foreach (var (key, value) in items)
        {
            if (text.Length > 0)
            {
                text.Append(", ");
            }

            text.Append(key).Append(':').Append(value);
        }

        _text = text.ToString();
    }

    public int Count => _items.Length;

    public KeyValuePair<string, object?> this[int index] => _items[index];

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => _text;
}

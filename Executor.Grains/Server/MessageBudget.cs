namespace Executor.Server;

/// <summary>
/// Fills one outgoing message up to a byte limit. The first item always goes, even alone over the limit, so a
/// large item is never starved; every later item must fit.
/// </summary>
public sealed class MessageBudget(int limit, int baseBytes)
{
    public int Limit { get; } = limit;

    public int Bytes { get; private set; } = baseBytes;

    public int Items { get; private set; }

    /// <summary>Takes the item if it fits (or is the first); false means it and everything after it wait.</summary>
    public bool TryTake(int itemBytes)
    {
        if (Items > 0 && Bytes + itemBytes >= Limit)
        {
            return false;
        }

        Bytes += itemBytes;
        Items++;
        return true;
    }

    /// <summary>Bytes a message adds to a repeated field of its parent (tag, length prefix, body).</summary>
    public static int RepeatedFieldBytes(Google.Protobuf.IMessage item)
    {
        var size = item.CalculateSize();
        return 1 + Google.Protobuf.CodedOutputStream.ComputeLengthSize(size) + size;
    }
}

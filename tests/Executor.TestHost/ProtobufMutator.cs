using System.Collections;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Executor.TestHost;

/// <summary>
/// Seeded, structure-aware protobuf mutator for fuzzing the executor's input: each mutation picks a message in the
/// tree and clears a field, sets it to a hostile value (empty, huge, out-of-range enum, path tricks, bad URIs), or
/// duplicates / drops a repeated element. The result always parses, so every case reaches the executor's validation.
/// </summary>
public sealed class ProtobufMutator(int seed)
{
    private static readonly string[] HostileStrings =
    [
        string.Empty, " ", "../../etc/passwd", "file://relative/path", "file:///etc/shadow", "s3://", "s3://bucket-only",
        "gopher://x", "\u0000", new string('x', 70_000), "fe-that-does-not-exist", "%2e%2e%2f", "-",
    ];

    private readonly Random _random = new(seed);

    public T Mutate<T>(T message, int mutations)
        where T : IMessage<T>
    {
        var copy = message.Clone();
        for (var i = 0; i < mutations; i++)
        {
            var target = PickMessage(copy);
            MutateOne(target);
        }

        return copy;
    }

    private IMessage PickMessage(IMessage root)
    {
        var all = new List<IMessage>();
        Collect(root, all, depth: 0);
        return all[_random.Next(all.Count)];
    }

    private static void Collect(IMessage message, List<IMessage> into, int depth)
    {
        into.Add(message);
        if (depth > 6)
        {
            return;
        }

        foreach (var field in message.Descriptor.Fields.InDeclarationOrder())
        {
            if (field.FieldType != FieldType.Message || field.IsMap)
            {
                continue;
            }

            var value = field.Accessor.GetValue(message);
            if (field.IsRepeated)
            {
                foreach (var item in (IList)value)
                {
                    Collect((IMessage)item, into, depth + 1);
                }
            }
            else if (value is IMessage child)
            {
                Collect(child, into, depth + 1);
            }
        }
    }

    private void MutateOne(IMessage message)
    {
        var fields = message.Descriptor.Fields.InDeclarationOrder().Where(f => !f.IsMap).ToList();
        if (fields.Count == 0)
        {
            return;
        }

        var field = fields[_random.Next(fields.Count)];
        if (field.IsRepeated)
        {
            var list = (IList)field.Accessor.GetValue(message);
            if (list.Count == 0)
            {
                return;
            }

            switch (_random.Next(3))
            {
                case 0:
                    list.RemoveAt(_random.Next(list.Count));
                    break;
                case 1:
                    var item = list[_random.Next(list.Count)];
                    list.Add(item is IMessage m ? PrepareCopy(m) : item);
                    break;
                default:
                    // Many copies: "huge lists".
                    var pick = list[_random.Next(list.Count)];
                    for (var i = 0; i < 200; i++)
                    {
                        list.Add(pick is IMessage pm ? PrepareCopy(pm) : pick);
                    }

                    break;
            }

            return;
        }

        if (_random.Next(3) == 0)
        {
            field.Accessor.Clear(message);
            return;
        }

        switch (field.FieldType)
        {
            case FieldType.String:
                field.Accessor.SetValue(message, HostileStrings[_random.Next(HostileStrings.Length)]);
                break;
            case FieldType.Bytes:
                field.Accessor.SetValue(message, ByteString.CopyFrom(new byte[_random.Next(0, 64)]));
                break;
            case FieldType.UInt32:
                field.Accessor.SetValue(message, _random.Next(2) == 0 ? 0u : uint.MaxValue);
                break;
            case FieldType.UInt64:
                field.Accessor.SetValue(message, _random.Next(2) == 0 ? 0ul : ulong.MaxValue);
                break;
            case FieldType.Int32:
                field.Accessor.SetValue(message, _random.Next(2) == 0 ? int.MinValue : int.MaxValue);
                break;
            case FieldType.Int64:
                field.Accessor.SetValue(message, _random.Next(2) == 0 ? long.MinValue : long.MaxValue);
                break;
            case FieldType.Bool:
                field.Accessor.SetValue(message, _random.Next(2) == 0);
                break;
            case FieldType.Float:
                field.Accessor.SetValue(message, float.NaN);
                break;
            case FieldType.Enum:
                field.Accessor.SetValue(message, _random.Next(-2, 20));
                break;
            case FieldType.Message:
                field.Accessor.Clear(message);
                break;
        }
    }

    private static IMessage PrepareCopy(IMessage message) => message.Descriptor.Parser.ParseFrom(message.ToByteString());
}

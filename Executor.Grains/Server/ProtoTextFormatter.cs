using System.Collections;
using System.Globalization;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Executor.Server;

/// <summary>
/// Protobuf text format (what upstream's /state/* endpoints serve). Google.Protobuf for C# has no text
/// printer, so this walks the descriptors: fields in number order, presence respected, bytes escaped.
/// </summary>
internal static class ProtoTextFormatter
{
    public static string Format(IMessage message)
    {
        var sb = new StringBuilder();
        Write(sb, message, 0);
        return sb.ToString();
    }

    /// <summary>Appends <paramref name="message"/> as a named nested block (name { ... }) at the given depth.</summary>
    public static StringBuilder AppendBlock(StringBuilder sb, string name, IMessage message, int indent)
    {
        Indent(sb, indent).Append(name).Append(" {\n");
        Write(sb, message, indent + 1);
        return Indent(sb, indent).Append("}\n");
    }

    private static void Write(StringBuilder sb, IMessage message, int indent)
    {
        foreach (var field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            var value = field.Accessor.GetValue(message);
            if (field.IsMap)
            {
                var map = (IDictionary)value;
                var keys = map.Keys.Cast<object>().OrderBy(k => Convert.ToString(k, CultureInfo.InvariantCulture), StringComparer.Ordinal);
                foreach (var key in keys)
                {
                    Indent(sb, indent).Append(field.Name).Append(" {\n");
                    Indent(sb, indent + 1).Append("key: ").Append(Scalar(field.MessageType.Fields[1], key)).Append('\n');
                    WriteValue(sb, field.MessageType.Fields[2], "value", map[key]!, indent + 1);
                    Indent(sb, indent).Append("}\n");
                }
            }
            else if (field.IsRepeated)
            {
                foreach (var item in (IList)value)
                {
                    WriteValue(sb, field, field.Name, item, indent);
                }
            }
            else if (IsSet(field, message, value))
            {
                WriteValue(sb, field, field.Name, value, indent);
            }
        }
    }

    private static bool IsSet(FieldDescriptor field, IMessage message, object? value)
    {
        if (field.HasPresence)
        {
            return field.Accessor.HasValue(message);
        }

        return value switch
        {
            null => false,
            string s => s.Length > 0,
            ByteString b => b.Length > 0,
            bool b => b,
            Enum e => Convert.ToInt32(e, CultureInfo.InvariantCulture) != 0,
            IMessage => true,
            _ => Convert.ToDouble(value, CultureInfo.InvariantCulture) != 0,
        };
    }

    private static void WriteValue(StringBuilder sb, FieldDescriptor field, string name, object value, int indent)
    {
        if (field.FieldType is FieldType.Message or FieldType.Group)
        {
            Indent(sb, indent).Append(name).Append(" {\n");
            Write(sb, (IMessage)value, indent + 1);
            Indent(sb, indent).Append("}\n");
            return;
        }

        Indent(sb, indent).Append(name).Append(": ").Append(Scalar(field, value)).Append('\n');
    }

    private static string Scalar(FieldDescriptor field, object value) => field.FieldType switch
    {
        FieldType.String => Quote(Encoding.UTF8.GetBytes((string)value)),
        FieldType.Bytes => Quote(((ByteString)value).ToByteArray()),
        FieldType.Enum => field.EnumType.FindValueByNumber(Convert.ToInt32(value, CultureInfo.InvariantCulture))?.Name
            ?? Convert.ToInt32(value, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture),
        FieldType.Bool => (bool)value ? "true" : "false",
        FieldType.Float => ((float)value).ToString("R", CultureInfo.InvariantCulture),
        FieldType.Double => ((double)value).ToString("R", CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty,
    };

    private static string Quote(byte[] bytes)
    {
        var sb = new StringBuilder(bytes.Length + 2).Append('"');
        foreach (var b in bytes)
        {
            switch (b)
            {
                case (byte)'"': sb.Append("\\\""); break;
                case (byte)'\\': sb.Append("\\\\"); break;
                case (byte)'\n': sb.Append("\\n"); break;
                case (byte)'\r': sb.Append("\\r"); break;
                case (byte)'\t': sb.Append("\\t"); break;
                default:
                    if (b is >= 0x20 and < 0x7f)
                    {
                        sb.Append((char)b);
                    }
                    else
                    {
                        sb.Append('\\').Append(Convert.ToString(b, 8).PadLeft(3, '0'));
                    }

                    break;
            }
        }

        return sb.Append('"').ToString();
    }

    private static StringBuilder Indent(StringBuilder sb, int indent) => sb.Append(' ', indent * 2);
}

using Google.Protobuf.Reflection;

namespace Executor.Protocol.Tests.Contract;

/// <summary>
/// Compares one parsed reference section with the compiled descriptors of the files that implement it and returns
/// every difference (never stops at the first), each as one self-contained line. Type names are rendered the way the
/// reference writes them: relative to the file's package when the type lives there, fully qualified otherwise.
/// </summary>
public static class DescriptorComparer
{
    public static IReadOnlyList<string> Compare(ContractSection section, IReadOnlyList<FileDescriptor> files)
    {
        var diffs = new List<string>();
        var tag = $"[§{section.Id}]";

        if (section.Package is not null)
        {
            foreach (var file in files.Where(f => f.Package != section.Package))
            {
                diffs.Add($"{tag} file {file.Name}: package is '{section.Package}' in the reference, '{file.Package}' compiled");
            }
        }

        var services = files.SelectMany(f => f.Services).ToDictionary(s => s.FullName, StringComparer.Ordinal);
        var enums = files.SelectMany(AllEnums).ToDictionary(e => e.FullName, StringComparer.Ordinal);
        var messages = files.SelectMany(AllMessages).ToDictionary(m => m.FullName, StringComparer.Ordinal);

        foreach (var spec in section.Services)
        {
            if (services.Remove(spec.FullName, out var compiled))
            {
                CompareService(tag, spec, compiled, diffs);
            }
            else
            {
                diffs.Add($"{tag} service {spec.FullName}: in the reference, missing from the compiled descriptors");
            }
        }

        foreach (var spec in section.Enums)
        {
            if (enums.Remove(spec.FullName, out var compiled))
            {
                CompareEnum(tag, spec, compiled, diffs);
            }
            else
            {
                diffs.Add($"{tag} enum {spec.FullName}: in the reference, missing from the compiled descriptors");
            }
        }

        foreach (var spec in section.Messages)
        {
            if (messages.Remove(spec.FullName, out var compiled))
            {
                CompareMessage(tag, spec, compiled, diffs);
            }
            else
            {
                diffs.Add($"{tag} message {spec.FullName}: in the reference, missing from the compiled descriptors");
            }
        }

        // Whatever is left was compiled but never described by the reference.
        diffs.AddRange(services.Keys.Order(StringComparer.Ordinal).Select(n => $"{tag} service {n}: compiled, not in the reference"));
        diffs.AddRange(enums.Keys.Order(StringComparer.Ordinal).Select(n => $"{tag} enum {n}: compiled, not in the reference"));
        diffs.AddRange(messages.Keys.Order(StringComparer.Ordinal).Select(n => $"{tag} message {n}: compiled, not in the reference"));
        return diffs;
    }

    private static void CompareService(string tag, ServiceSpec spec, ServiceDescriptor compiled, List<string> diffs)
    {
        var where = $"{tag} service {spec.FullName}";
        var package = compiled.File.Package;
        var methods = compiled.Methods.ToDictionary(m => m.Name, StringComparer.Ordinal);
        foreach (var m in spec.Methods)
        {
            if (!methods.Remove(m.Name, out var cm))
            {
                diffs.Add($"{where} method {m.Name}: in the reference, missing from the compiled descriptor");
                continue;
            }

            Check(diffs, $"{where} method {m.Name}", "request", m.Request, Relative(cm.InputType.FullName, package));
            Check(diffs, $"{where} method {m.Name}", "response", m.Response, Relative(cm.OutputType.FullName, package));
            Check(diffs, $"{where} method {m.Name}", "streaming", m.Streaming, Streaming(cm));
            Check(diffs, $"{where} method {m.Name}", "gRPC path", m.GrpcPath, $"/{compiled.FullName}/{cm.Name}");
        }

        diffs.AddRange(methods.Keys.Order(StringComparer.Ordinal).Select(n => $"{where} method {n}: compiled, not in the reference"));
    }

    private static void CompareEnum(string tag, EnumSpec spec, EnumDescriptor compiled, List<string> diffs)
    {
        var where = $"{tag} enum {spec.FullName}";
        var members = compiled.Values.ToDictionary(v => v.Name, StringComparer.Ordinal);
        foreach (var member in spec.Members)
        {
            if (!members.Remove(member.Name, out var cv))
            {
                diffs.Add($"{where} member {member.Name}: in the reference, missing from the compiled descriptor");
                continue;
            }

            Check(diffs, $"{where} member {member.Name}", "value", member.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
                cv.Number.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        diffs.AddRange(members.Values.OrderBy(v => v.Number).Select(v => $"{where} member {v.Name} = {v.Number}: compiled, not in the reference"));
    }

    private static void CompareMessage(string tag, MessageSpec spec, MessageDescriptor compiled, List<string> diffs)
    {
        var where = $"{tag} message {spec.FullName}";
        var fields = compiled.Fields.InDeclarationOrder().ToDictionary(f => f.Name, StringComparer.Ordinal);
        foreach (var field in spec.Fields)
        {
            if (!fields.Remove(field.Name, out var cf))
            {
                diffs.Add($"{where} field {field.Name}: in the reference, missing from the compiled descriptor");
                continue;
            }

            Check(diffs, $"{where} field {field.Name}", "number", field.Number.ToString(System.Globalization.CultureInfo.InvariantCulture),
                cf.FieldNumber.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Check(diffs, $"{where} field {field.Name}", "type", field.Type, TypeName(cf));
            Check(diffs, $"{where} field {field.Name}", "label", field.Label, Label(cf));
        }

        diffs.AddRange(fields.Values.OrderBy(f => f.FieldNumber)
            .Select(f => $"{where} field {f.Name} = {f.FieldNumber} ({TypeName(f)}, {Label(f)}): compiled, not in the reference"));
    }

    private static void Check(List<string> diffs, string where, string what, string reference, string compiled)
    {
        if (!string.Equals(reference, compiled, StringComparison.Ordinal))
        {
            diffs.Add($"{where}: {what} is '{reference}' in the reference, '{compiled}' compiled");
        }
    }

    /// <summary>The reference's label vocabulary, derived from the descriptor.</summary>
    public static string Label(FieldDescriptor field)
    {
        if (field.IsMap)
        {
            return "map";
        }

        if (field.IsRepeated)
        {
            return "repeated";
        }

        if (field.RealContainingOneof is { } oneof)
        {
            return "oneof " + oneof.Name;
        }

        // proto3 `optional` is compiled as a one-member synthetic oneof; that is the only way to tell it apart from a
        // plain message field, which has presence too.
        if (field.HasPresence && field.ContainingOneof is { IsSynthetic: true })
        {
            return "optional";
        }

        return field.FieldType == FieldType.Message ? "singular (message, has presence)" : "singular (implicit presence)";
    }

    public static string TypeName(FieldDescriptor field)
    {
        var package = field.File.Package;
        if (field.IsMap)
        {
            var entry = field.MessageType;
            return $"map<{TypeName(entry.FindFieldByNumber(1))}, {TypeName(entry.FindFieldByNumber(2))}>";
        }

        return field.FieldType switch
        {
            FieldType.Message or FieldType.Group => Relative(field.MessageType.FullName, package),
            FieldType.Enum => Relative(field.EnumType.FullName, package),
            FieldType.Double => "double",
            FieldType.Float => "float",
            FieldType.Int64 => "int64",
            FieldType.UInt64 => "uint64",
            FieldType.Int32 => "int32",
            FieldType.Fixed64 => "fixed64",
            FieldType.Fixed32 => "fixed32",
            FieldType.Bool => "bool",
            FieldType.String => "string",
            FieldType.Bytes => "bytes",
            FieldType.UInt32 => "uint32",
            FieldType.SFixed32 => "sfixed32",
            FieldType.SFixed64 => "sfixed64",
            FieldType.SInt32 => "sint32",
            FieldType.SInt64 => "sint64",
            _ => field.FieldType.ToString(),
        };
    }

    private static string Streaming(MethodDescriptor m) => (m.IsClientStreaming, m.IsServerStreaming) switch
    {
        (false, false) => "unary",
        (false, true) => "server streaming",
        (true, false) => "client streaming",
        _ => "bidirectional streaming",
    };

    private static string Relative(string fullName, string package) =>
        package.Length > 0 && fullName.StartsWith(package + ".", StringComparison.Ordinal) ? fullName[(package.Length + 1)..] : fullName;

    private static IEnumerable<EnumDescriptor> AllEnums(FileDescriptor file) =>
        file.EnumTypes.Concat(file.MessageTypes.SelectMany(NestedEnums));

    private static IEnumerable<EnumDescriptor> NestedEnums(MessageDescriptor m) =>
        m.EnumTypes.Concat(m.NestedTypes.SelectMany(NestedEnums));

    private static IEnumerable<MessageDescriptor> AllMessages(FileDescriptor file) => file.MessageTypes.SelectMany(WithNested);

    // Map entry types are protoc's synthetic nested messages; the reference describes them as map<K, V> fields.
    private static IEnumerable<MessageDescriptor> WithNested(MessageDescriptor m) =>
        m.IsMapEntry ? [] : new[] { m }.Concat(m.NestedTypes.SelectMany(WithNested));
}

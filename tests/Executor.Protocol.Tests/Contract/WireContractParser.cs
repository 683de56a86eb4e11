using System.Globalization;
using System.Text.RegularExpressions;

namespace Executor.Protocol.Tests.Contract;

/// <summary>
/// Reads the fact tables of wire-contract.md: numbered "## N." sections, "service/enum/message `Name`" headings at
/// any depth below them, and the markdown table (or "No fields (empty message).") that follows each heading.
/// Anything it cannot read becomes a parse error instead of being skipped, so a reformatted reference cannot make
/// the drift check pass vacuously.
/// </summary>
public static partial class WireContractParser
{
    private const string EmptyMessageMarker = "No fields (empty message)";

    private static readonly string[] ServiceHeader = ["method", "request", "response", "streaming", "gRPC path"];
    private static readonly string[] EnumHeader = ["member", "value"];
    private static readonly string[] MessageHeader = ["field", "type", "number", "label"];

    // A section written as changes against another one: "| kind | name | status | ... |" (more columns are prose).
    private static readonly string[] ChangeHeaderStart = ["kind", "name", "status"];

    [GeneratedRegex(@"^##\s+(\d+[a-z]?)\.\s+(.*)$")]
    private static partial Regex SectionHeading();

    [GeneratedRegex(@"^- package:\s*`([^`]+)`")]
    private static partial Regex PackageLine();

    // Section 3a names the package of each imported file inline: "- `google/protobuf/any.proto` (package `google.protobuf`)".
    [GeneratedRegex(@"^- `[^`]+\.proto`\s*\(package `([^`]+)`\)")]
    private static partial Regex ImportedFilePackageLine();

    [GeneratedRegex(@"^- based on: section\s*`([^`]+)`")]
    private static partial Regex BasedOnLine();

    // "Removed in v2 without a renamed successor: message `A`, message `B`, ..."
    [GeneratedRegex(@"^Removed\b[^:]*:\s*(.+)$")]
    private static partial Regex RemovedLine();

    [GeneratedRegex(@"(service|enum|message)\s+`([^`]+)`")]
    private static partial Regex ItemReference();

    [GeneratedRegex(@"^renamed from\s+(\S+)$")]
    private static partial Regex RenamedFrom();

    [GeneratedRegex(@"^#{3,6}\s+(service|enum|message)\s+`([^`]+)`\s*$")]
    private static partial Regex ItemHeading();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    public static WireContract Parse(string markdown)
    {
        var lines = markdown.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var sections = new List<ContractSection>();
        SectionBuilder? current = null;

        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.StartsWith("## ", StringComparison.Ordinal))
            {
                if (current is not null)
                {
                    sections.Add(current.Build());
                }

                var heading = SectionHeading().Match(line);
                current = heading.Success ? new SectionBuilder(heading.Groups[1].Value, heading.Groups[2].Value.Trim()) : null;
                continue;
            }

            if (current is null)
            {
                continue;
            }

            var package = PackageLine().Match(line);
            if (package.Success)
            {
                current.Package = package.Groups[1].Value;
                current.CurrentPackage = package.Groups[1].Value;
                continue;
            }

            var basedOn = BasedOnLine().Match(line);
            if (basedOn.Success)
            {
                current.BasedOn = basedOn.Groups[1].Value;
                continue;
            }

            var removed = RemovedLine().Match(line);
            if (removed.Success)
            {
                current.Removed.AddRange(ItemReference().Matches(removed.Groups[1].Value).Select(m => new ItemRef(m.Groups[1].Value, m.Groups[2].Value)));
                continue;
            }

            if (line.TrimStart().StartsWith('|') && SplitRow(line).Take(ChangeHeaderStart.Length).SequenceEqual(ChangeHeaderStart, StringComparer.OrdinalIgnoreCase))
            {
                var table = new List<string> { line };
                while (i + 1 < lines.Length && lines[i + 1].TrimStart().StartsWith('|'))
                {
                    table.Add(lines[++i]);
                }

                ParseChanges(current, table, $"line {i + 2 - table.Count} (§{current.Id} change table)");
                continue;
            }

            var importedPackage = ImportedFilePackageLine().Match(line);
            if (importedPackage.Success)
            {
                current.CurrentPackage = importedPackage.Groups[1].Value;
                continue;
            }

            var item = ItemHeading().Match(line);
            if (!item.Success)
            {
                continue;
            }

            var headingLine = i + 1;
            var body = new List<string>();
            while (i + 1 < lines.Length && !lines[i + 1].StartsWith('#'))
            {
                body.Add(lines[++i]);
            }

            var errors = current.Errors;
            var kind = item.Groups[1].Value;
            var name = item.Groups[2].Value;
            var where = $"line {headingLine} (§{current.Id} {kind} {name})";
            if (current.CurrentPackage is null)
            {
                errors.Add($"{where}: no package declared before this item");
                continue;
            }

            switch (kind)
            {
                case "service":
                    ParseService(current, name, body, where, errors);
                    break;
                case "enum":
                    ParseEnum(current, name, body, where, errors);
                    break;
                default:
                    ParseMessage(current, name, body, where, errors);
                    break;
            }
        }

        if (current is not null)
        {
            sections.Add(current.Build());
        }

        return new WireContract(sections);
    }

    private static void ParseChanges(SectionBuilder section, List<string> table, string where)
    {
        var header = SplitRow(table[0]);
        var rows = ReadTable(table, header, where, section.Errors);
        if (rows is null)
        {
            return;
        }

        foreach (var r in rows)
        {
            var (kind, name, status) = (r[0], r[1], r[2]);
            if (kind is not ("message" or "enum" or "service"))
            {
                section.Errors.Add($"{where}: row {name} has an unknown kind '{kind}'");
                continue;
            }

            var renamed = RenamedFrom().Match(status);
            if (renamed.Success)
            {
                section.Changes.Add(new ChangeSpec(kind, name, ChangeStatus.Renamed, renamed.Groups[1].Value));
            }
            else if (status == "unchanged")
            {
                section.Changes.Add(new ChangeSpec(kind, name, ChangeStatus.Unchanged, null));
            }
            else if (status == "changed")
            {
                section.Changes.Add(new ChangeSpec(kind, name, ChangeStatus.Changed, null));
            }
            else if (status.StartsWith("new", StringComparison.Ordinal))
            {
                section.Changes.Add(new ChangeSpec(kind, name, ChangeStatus.New, null));
            }
            else
            {
                section.Errors.Add($"{where}: row {kind} {name} has an unknown status '{status}'");
            }
        }
    }

    private static void ParseService(SectionBuilder section, string name, List<string> body, string where, List<string> errors)
    {
        var rows = ReadTable(body, ServiceHeader, where, errors);
        if (rows is null)
        {
            return;
        }

        var methods = rows.Select(r => new MethodSpec(r[0], r[1], r[2], r[3], r[4])).ToList();
        section.Services.Add(new ServiceSpec(section.CurrentPackage!, name, methods));
    }

    private static void ParseEnum(SectionBuilder section, string name, List<string> body, string where, List<string> errors)
    {
        var rows = ReadTable(body, EnumHeader, where, errors);
        if (rows is null)
        {
            return;
        }

        var members = new List<EnumMemberSpec>();
        foreach (var r in rows)
        {
            if (!int.TryParse(r[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            {
                errors.Add($"{where}: member {r[0]} has a non-numeric value '{r[1]}'");
                continue;
            }

            members.Add(new EnumMemberSpec(r[0], value));
        }

        section.Enums.Add(new EnumSpec(section.CurrentPackage!, name, members));
    }

    private static void ParseMessage(SectionBuilder section, string name, List<string> body, string where, List<string> errors)
    {
        var hasTable = body.Any(l => l.TrimStart().StartsWith('|'));
        var saysEmpty = body.Any(l => l.Trim().StartsWith(EmptyMessageMarker, StringComparison.Ordinal));
        if (saysEmpty && !hasTable)
        {
            section.Messages.Add(new MessageSpec(section.CurrentPackage!, name, []));
            return;
        }

        if (saysEmpty)
        {
            errors.Add($"{where}: both a field table and '{EmptyMessageMarker}'");
            return;
        }

        var rows = ReadTable(body, MessageHeader, where, errors);
        if (rows is null)
        {
            return;
        }

        var fields = new List<FieldSpec>();
        foreach (var r in rows)
        {
            if (!int.TryParse(r[2], NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                errors.Add($"{where}: field {r[0]} has a non-numeric number '{r[2]}'");
                continue;
            }

            fields.Add(new FieldSpec(r[0], r[1], number, r[3]));
        }

        section.Messages.Add(new MessageSpec(section.CurrentPackage!, name, fields));
    }

    /// <summary>The data rows of the first table in <paramref name="body"/>, or null (with an error) when it is missing or malformed.</summary>
    private static List<string[]>? ReadTable(List<string> body, string[] expectedHeader, string where, List<string> errors)
    {
        var tableLines = body
            .SkipWhile(l => !l.TrimStart().StartsWith('|'))
            .TakeWhile(l => l.TrimStart().StartsWith('|'))
            .ToList();
        if (tableLines.Count < 2)
        {
            errors.Add($"{where}: no table found");
            return null;
        }

        var header = SplitRow(tableLines[0]);
        if (!header.SequenceEqual(expectedHeader, StringComparer.OrdinalIgnoreCase))
        {
            errors.Add($"{where}: unexpected table header '{string.Join(" | ", header)}', expected '{string.Join(" | ", expectedHeader)}'");
            return null;
        }

        var rows = new List<string[]>();
        foreach (var line in tableLines.Skip(2))
        {
            var cells = SplitRow(line);
            if (cells.Length != expectedHeader.Length)
            {
                errors.Add($"{where}: row '{line.Trim()}' has {cells.Length} cells, expected {expectedHeader.Length}");
                continue;
            }

            rows.Add(cells);
        }

        return rows;
    }

    private static string[] SplitRow(string line)
    {
        var trimmed = line.Trim();
        if (trimmed.StartsWith('|'))
        {
            trimmed = trimmed[1..];
        }

        if (trimmed.EndsWith('|'))
        {
            trimmed = trimmed[..^1];
        }

        return trimmed
            .Split('|')
            .Select(c => Whitespace().Replace(c.Replace("`", string.Empty, StringComparison.Ordinal), " ").Trim())
            .ToArray();
    }

    private sealed class SectionBuilder(string id, string title)
    {
        public string Id => id;

        public string? Package { get; set; }

        public string? CurrentPackage { get; set; }

        public List<ServiceSpec> Services { get; } = [];

        public List<EnumSpec> Enums { get; } = [];

        public List<MessageSpec> Messages { get; } = [];

        public List<string> Errors { get; } = [];

        public string? BasedOn { get; set; }

        public List<ChangeSpec> Changes { get; } = [];

        public List<ItemRef> Removed { get; } = [];

        public ContractSection Build() => new(id, title, Package, Services, Enums, Messages, Errors, BasedOn, Changes, Removed);
    }
}

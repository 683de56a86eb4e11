namespace Executor.Protocol.Tests.Contract;

// The parsed form of wire-contract.md. Strings are kept exactly as the tables spell them (backticks removed),
// so a mismatch message can quote the reference verbatim.

/// <summary>Everything parsed from the reference.</summary>
public sealed record WireContract(IReadOnlyList<ContractSection> Sections)
{
    public ContractSection? FindSection(string id) => Sections.FirstOrDefault(s => s.Id == id);

    /// <summary>
    /// The section as the drift check reads it: <see cref="FindSection"/>, or, for a section that is written as the
    /// changes against another ("- based on: section `1`"), that base with the changes applied
    /// (<see cref="SectionComposer"/>). Null when the section does not exist.
    /// </summary>
    public ContractSection? Resolve(string id)
    {
        var section = FindSection(id);
        if (section?.BasedOn is not { } baseId)
        {
            return section;
        }

        var baseSection = FindSection(baseId);
        return baseSection is null
            ? section with { ParseErrors = [.. section.ParseErrors, $"§{id} is based on §{baseId}, which the reference does not have"] }
            : SectionComposer.Compose(section, baseSection);
    }

    public IReadOnlyList<string> ParseErrors => Sections.SelectMany(s => s.ParseErrors).ToList();
}

/// <summary>
/// A numbered "## N." section; <see cref="Package"/> comes from its "- package:" line when it has one.
/// <see cref="ParseErrors"/> lists the items of this section the parser could not read.
/// A section written as the changes against another one names it in <see cref="BasedOn"/> ("- based on: section `1`"),
/// lists every item's fate in <see cref="Changes"/> (the "kind | name | status" table) and the items it drops in
/// <see cref="Removed"/> (the "Removed ...: message `X`, ..." line); its own tables are the new, renamed and changed items.
/// </summary>
public sealed record ContractSection(
    string Id,
    string Title,
    string? Package,
    IReadOnlyList<ServiceSpec> Services,
    IReadOnlyList<EnumSpec> Enums,
    IReadOnlyList<MessageSpec> Messages,
    IReadOnlyList<string> ParseErrors,
    string? BasedOn = null,
    IReadOnlyList<ChangeSpec>? Changes = null,
    IReadOnlyList<ItemRef>? Removed = null);

/// <summary>An item named by kind ("message", "enum" or "service") and simple name.</summary>
public sealed record ItemRef(string Kind, string Name);

public enum ChangeStatus
{
    Unchanged,
    Changed,
    New,
    Renamed,
}

/// <summary>One row of a change table: what became of an item against the base section (RenamedFrom set when renamed).</summary>
public sealed record ChangeSpec(string Kind, string Name, ChangeStatus Status, string? RenamedFrom);

public sealed record ServiceSpec(string Package, string Name, IReadOnlyList<MethodSpec> Methods)
{
    public string FullName => Package + "." + Name;
}

public sealed record MethodSpec(string Name, string Request, string Response, string Streaming, string GrpcPath);

public sealed record EnumSpec(string Package, string Name, IReadOnlyList<EnumMemberSpec> Members)
{
    public string FullName => Package + "." + Name;
}

public sealed record EnumMemberSpec(string Name, int Value);

public sealed record MessageSpec(string Package, string Name, IReadOnlyList<FieldSpec> Fields)
{
    public string FullName => Package + "." + Name;
}

/// <summary>One row of a message table: label is e.g. "optional", "repeated", "map", "oneof op".</summary>
public sealed record FieldSpec(string Name, string Type, int Number, string Label);

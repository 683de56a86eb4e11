namespace Executor.Protocol.Tests.Contract;

// The parsed form of wire-contract.md. Strings are kept exactly as the tables spell them (backticks removed),
// so a mismatch message can quote the reference verbatim.

/// <summary>Everything parsed from the reference.</summary>
public sealed record WireContract(IReadOnlyList<ContractSection> Sections)
{
    public ContractSection? FindSection(string id) => Sections.FirstOrDefault(s => s.Id == id);

    public IReadOnlyList<string> ParseErrors => Sections.SelectMany(s => s.ParseErrors).ToList();
}

/// <summary>
/// A numbered "## N." section; <see cref="Package"/> comes from its "- package:" line when it has one.
/// <see cref="ParseErrors"/> lists the items of this section the parser could not read.
/// </summary>
public sealed record ContractSection(
    string Id,
    string Title,
    string? Package,
    IReadOnlyList<ServiceSpec> Services,
    IReadOnlyList<EnumSpec> Enums,
    IReadOnlyList<MessageSpec> Messages,
    IReadOnlyList<string> ParseErrors);

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

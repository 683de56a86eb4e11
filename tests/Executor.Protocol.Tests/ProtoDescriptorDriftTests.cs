using System.Text;
using Executor.Protocol.FunctionExecutorV1;
using Executor.Protocol.ServerV1;
using Executor.Protocol.ServerV2;
using Executor.Protocol.Tests.Contract;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;

namespace Executor.Protocol.Tests;

/// <summary>
/// The compiled protos must be wire-identical to the in-repository reference (Contract/wire-contract.md): same packages,
/// services, methods, enum members and values, and message fields (name, number, type, label), with nothing extra.
/// Section 2 is the FE proto at tensorlake HEAD (the 0.1.3 additions included); section 4 (Server protocol v2) is read
/// as section 1 with its changes applied and checked against executor_api_v2.proto.
/// </summary>
public sealed class ProtoDescriptorDriftTests
{
    public static TheoryData<string> CheckedSections => ["1", "2", "3", "3a", "4"];

    internal static IReadOnlyList<FileDescriptor> FilesFor(string sectionId) => sectionId switch
    {
        "1" => [ExecutorApiReflection.Descriptor],
        "2" => [FunctionExecutorReflection.Descriptor],
        "3" => [StatusReflection.Descriptor],
        "3a" => [TimestampReflection.Descriptor, AnyReflection.Descriptor],
        "4" => [ExecutorApiV2Reflection.Descriptor],
        _ => throw new ArgumentOutOfRangeException(nameof(sectionId), sectionId, "no compiled file for this section"),
    };

    [Theory]
    [MemberData(nameof(CheckedSections))]
    public void Compiled_descriptors_match_reference_section(string sectionId)
    {
        var contract = WireContractFile.LoadDefault();
        var section = contract.Resolve(sectionId);
        Assert.True(section is not null, $"wire-contract.md has no section '## {sectionId}.'");

        // A table the parser cannot read would otherwise hide the types it describes, so it counts as a difference.
        var diffs = section.ParseErrors.Select(e => "unreadable reference: " + e).Concat(DescriptorComparer.Compare(section, FilesFor(sectionId))).ToList();

        Assert.True(diffs.Count == 0, Report($"compiled protos differ from wire-contract.md §{sectionId} ({section.Title})", diffs));
    }

    [Fact]
    public void Every_checked_section_declares_what_the_compiled_files_hold()
    {
        // Guards against a parser that silently reads nothing: the main sections must name their package and have items.
        var contract = WireContractFile.LoadDefault();
        foreach (var (id, package) in new[] { ("1", "executor_api_pb"), ("2", "function_executor_service"), ("3", "google.rpc"), ("4", "executor_api_pb") })
        {
            var section = contract.Resolve(id);
            Assert.NotNull(section);
            Assert.Equal(package, section.Package);
            Assert.NotEmpty(section.Messages);
        }

        Assert.Single(contract.FindSection("1")!.Services);
        Assert.Single(contract.FindSection("2")!.Services);

        // Section 4 is written as changes against section 1: every item has a row, the unchanged ones come from section 1.
        var v2 = contract.FindSection("4")!;
        Assert.Equal("1", v2.BasedOn);
        Assert.Equal(5, v2.Removed!.Count);
        Assert.Contains(v2.Changes!, c => c is { Kind: "message", Name: "DataPayload", Status: ChangeStatus.Unchanged });
        Assert.Contains(v2.Changes!, c => c is { Kind: "enum", Name: "ContainerTerminationReason", Status: ChangeStatus.Renamed, RenamedFrom: "FunctionExecutorTerminationReason" });
        var resolved = contract.Resolve("4")!;
        Assert.Equal(["heartbeat", "poll_commands", "poll_allocation_results"], Assert.Single(resolved.Services).Methods.Select(m => m.Name));
        Assert.Equal(v2.Changes!.Count(c => c.Kind == "message"), resolved.Messages.Count);
        Assert.Equal(v2.Changes!.Count(c => c.Kind == "enum"), resolved.Enums.Count);
    }

    internal static string Report(string title, IReadOnlyList<string> lines)
    {
        var sb = new StringBuilder();
        sb.Append(title).Append(": ").Append(lines.Count).AppendLine(" difference(s)");
        foreach (var line in lines)
        {
            sb.Append("  - ").AppendLine(line);
        }

        return sb.ToString();
    }
}

using Executor.Protocol.ServerV1;
using Executor.Protocol.Tests.Contract;

namespace Executor.Protocol.Tests;

/// <summary>Proves the drift check can fail: deliberately altered references must produce exactly the expected differences.</summary>
public sealed class DescriptorComparerSelfTests
{
    [Fact]
    public void Altered_field_number_in_the_markdown_is_reported_exactly()
    {
        var text = WireContractFile.ReadText(WireContractFile.DefaultPath);
        var altered = ReplaceFirstAfter(text, "#### message `DataPayload`", "| `uri` | `string` | 1 | optional |", "| `uri` | `string` | 11 | optional |");

        var section = WireContractParser.Parse(altered).FindSection("1")!;
        var diffs = DescriptorComparer.Compare(section, [ExecutorApiReflection.Descriptor]);

        Assert.Equal(
            ["[§1] message executor_api_pb.DataPayload field uri: number is '11' in the reference, '1' compiled"],
            diffs);
    }

    [Fact]
    public void Several_alterations_are_all_reported_not_just_the_first()
    {
        var section = WireContractFile.LoadDefault().FindSection("1")!;
        var dataPayload = section.Messages.Single(m => m.Name == "DataPayload");
        var gpuModel = section.Enums.Single(e => e.Name == "GPUModel");
        var service = section.Services.Single();

        var alteredPayload = dataPayload with
        {
            Fields = dataPayload.Fields
                .Where(f => f.Name != "id")                                                  // compiled field becomes "extra"
                .Select(f => f.Name == "size" ? f with { Type = "uint32", Label = "repeated" } : f)
                .Append(new FieldSpec("etag", "string", 11, "optional"))                     // reference field missing from compiled
                .ToList(),
        };
        var alteredEnum = gpuModel with
        {
            Members = gpuModel.Members.Where(m => m.Name != "GPU_MODEL_NVIDIA_A10")
                .Select(m => m.Name == "GPU_MODEL_NVIDIA_TESLA_T4" ? m with { Value = 7 } : m).ToList(),
        };
        var alteredService = service with
        {
            Methods = service.Methods
                .Select(m => m.Name == "get_desired_executor_states" ? m with { Streaming = "unary", Response = "ExecutorState" } : m)
                .ToList(),
        };
        var altered = section with
        {
            Package = "executor_api",
            Messages = section.Messages.Select(m => m.Name == "DataPayload" ? alteredPayload : m).Where(m => m.Name != "FunctionCallResponse").ToList(),
            Enums = section.Enums.Select(e => e.Name == "GPUModel" ? alteredEnum : e).ToList(),
            Services = [alteredService],
        };

        var diffs = DescriptorComparer.Compare(altered, [ExecutorApiReflection.Descriptor]);

        Assert.Equal(
            [
                "[§1] file executor_api.proto: package is 'executor_api' in the reference, 'executor_api_pb' compiled",
                "[§1] service executor_api_pb.ExecutorAPI method get_desired_executor_states: response is 'ExecutorState' in the reference, 'DesiredExecutorState' compiled",
                "[§1] service executor_api_pb.ExecutorAPI method get_desired_executor_states: streaming is 'unary' in the reference, 'server streaming' compiled",
                "[§1] enum executor_api_pb.GPUModel member GPU_MODEL_NVIDIA_TESLA_T4: value is '7' in the reference, '4' compiled",
                "[§1] enum executor_api_pb.GPUModel member GPU_MODEL_NVIDIA_A10 = 6: compiled, not in the reference",
                "[§1] message executor_api_pb.DataPayload field size: type is 'uint32' in the reference, 'uint64' compiled",
                "[§1] message executor_api_pb.DataPayload field size: label is 'repeated' in the reference, 'optional' compiled",
                "[§1] message executor_api_pb.DataPayload field etag: in the reference, missing from the compiled descriptor",
                "[§1] message executor_api_pb.DataPayload field id = 10 (string, optional): compiled, not in the reference",
                "[§1] message executor_api_pb.FunctionCallResponse: compiled, not in the reference",
            ],
            diffs);
    }

    [Fact]
    public void Sections_are_scoped_by_package_so_same_named_types_do_not_mix()
    {
        // §1 and §2 both define FunctionRef, AllocationResult, FunctionCall...: comparing §2 against the §1 file must
        // find none of §2's types rather than matching them by simple name.
        var fe = WireContractFile.LoadDefault().FindSection("2")!;
        var diffs = DescriptorComparer.Compare(fe, [ExecutorApiReflection.Descriptor]);

        Assert.Contains("[§2] message function_executor_service.FunctionRef: in the reference, missing from the compiled descriptors", diffs);
        Assert.Contains("[§2] message executor_api_pb.FunctionRef: compiled, not in the reference", diffs);
    }

    [Fact]
    public void Oneof_and_presence_labels_are_distinguished()
    {
        var text = WireContractFile.ReadText(WireContractFile.DefaultPath);
        var altered = ReplaceFirstAfter(text, "#### message `AllocationResult`", "| `value` | `DataPayload` | 7 | oneof `return_value` |",
            "| `value` | `DataPayload` | 7 | optional |");
        altered = ReplaceFirstAfter(altered, "#### message `HostResources`", "| `gpu` | `GPUResources` | 4 | optional |",
            "| `gpu` | `GPUResources` | 4 | singular (message, has presence) |");

        var diffs = DescriptorComparer.Compare(WireContractParser.Parse(altered).FindSection("1")!, [ExecutorApiReflection.Descriptor]);

        Assert.Equal(
            [
                "[§1] message executor_api_pb.HostResources field gpu: label is 'singular (message, has presence)' in the reference, 'optional' compiled",
                "[§1] message executor_api_pb.AllocationResult field value: label is 'optional' in the reference, 'oneof return_value' compiled",
            ],
            diffs);
    }

    [Fact]
    public void Missing_reference_file_is_a_clear_failure()
    {
        var path = Path.Combine(Path.GetTempPath(), "no-such-dir-" + Guid.NewGuid().ToString("N"), "wire-contract.md");

        var ex = Assert.Throws<FileNotFoundException>(() => WireContractFile.Load(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("fails instead of skipping", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_tables_become_parse_errors()
    {
        const string markdown = """
            ## 1. demo
            - package: `demo`
            #### message `NoTable`
            Just prose.
            #### message `BadNumber`
            | field | type | number | label |
            |---|---|---|---|
            | `a` | `string` | one | optional |
            #### enum `ShortRow`
            | member | value |
            |---|---|
            | `X` |
            #### message `Empty`
            No fields (empty message).
            """;

        var contract = WireContractParser.Parse(markdown);

        Assert.Equal(3, contract.ParseErrors.Count);
        Assert.Contains(contract.ParseErrors, e => e.Contains("message NoTable", StringComparison.Ordinal) && e.Contains("no table", StringComparison.Ordinal));
        Assert.Contains(contract.ParseErrors, e => e.Contains("non-numeric number 'one'", StringComparison.Ordinal));
        Assert.Contains(contract.ParseErrors, e => e.Contains("enum ShortRow", StringComparison.Ordinal));
        var empty = Assert.Single(contract.FindSection("1")!.Messages, m => m.Name == "Empty");
        Assert.Empty(empty.Fields);
    }

    private static string ReplaceFirstAfter(string text, string anchor, string oldValue, string newValue)
    {
        var start = text.IndexOf(anchor, StringComparison.Ordinal);
        Assert.True(start >= 0, $"anchor '{anchor}' not in the reference");
        var at = text.IndexOf(oldValue, start, StringComparison.Ordinal);
        Assert.True(at >= 0, $"'{oldValue}' not found after '{anchor}'");
        return string.Concat(text.AsSpan(0, at), newValue, text.AsSpan(at + oldValue.Length));
    }
}

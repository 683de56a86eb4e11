using Executor.Protocol.FunctionExecutorV1;
using Executor.Protocol.ServerV1;
using Executor.Protocol.ServerV2;
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
    public void Fe_head_additions_are_checked_field_by_field()
    {
        // The 0.1.3 RPCs, enums, new fields and messages and the AllocationOutputBlob rename are all part of §2.
        var text = WireContractFile.ReadText(WireContractFile.DefaultPath);
        var altered = ReplaceFirstAfter(text, "#### service `FunctionExecutor`",
            "| `watch_allocation_event_log_reads` | `WatchAllocationEventLogReads` | `ReadAllocationEventLogRequest` | server streaming |",
            "| `watch_allocation_event_log_reads` | `WatchAllocationEventLogReads` | `ReadAllocationEventLogRequest` | unary |");
        altered = ReplaceFirstAfter(altered, "## 2.", "| `ALLOCATION_FAILURE_REASON_REPLAY_EVENT_HISTORY_MISMATCH` | 4 |",
            "| `ALLOCATION_FAILURE_REASON_REPLAY_EVENT_HISTORY_MISMATCH` | 5 |");
        altered = ReplaceFirstAfter(altered, "#### message `FunctionInputs`", "| `request_context` | `RequestContext` | 5 | optional |",
            "| `request_context` | `RequestContext` | 6 | optional |");
        altered = ReplaceFirstAfter(altered, "## 2.", "#### message `HttpRequestHeader`", "#### message `HttpHeader`");
        altered = ReplaceFirstAfter(altered, "## 2.", "#### message `AllocationOutputBlob`", "#### message `AllocationOutputBLOB`");
        altered = ReplaceFirstAfter(altered, "#### enum `FunctionCallWatcherStatus`", "| `FUNCTION_CALL_WATCHER_STATUS_TIMEDOUT` | 2 |\n", string.Empty);

        var diffs = DescriptorComparer.Compare(WireContractParser.Parse(altered).Resolve("2")!, [FunctionExecutorReflection.Descriptor]);

        Assert.Equal(
            [
                "[§2] service function_executor_service.FunctionExecutor method watch_allocation_event_log_reads: streaming is 'unary' in the reference, 'server streaming' compiled",
                "[§2] enum function_executor_service.AllocationFailureReason member ALLOCATION_FAILURE_REASON_REPLAY_EVENT_HISTORY_MISMATCH: value is '5' in the reference, '4' compiled",
                "[§2] enum function_executor_service.FunctionCallWatcherStatus member FUNCTION_CALL_WATCHER_STATUS_TIMEDOUT = 2: compiled, not in the reference",
                "[§2] message function_executor_service.FunctionInputs field request_context: number is '6' in the reference, '5' compiled",
                "[§2] message function_executor_service.AllocationOutputBLOB: in the reference, missing from the compiled descriptors",
                "[§2] message function_executor_service.HttpHeader: in the reference, missing from the compiled descriptors",
                "[§2] message function_executor_service.AllocationOutputBlob: compiled, not in the reference",
                "[§2] message function_executor_service.HttpRequestHeader: compiled, not in the reference",
            ],
            diffs);
    }

    [Fact]
    public void V2_section_alterations_are_reported_exactly()
    {
        var text = WireContractFile.ReadText(WireContractFile.DefaultPath);
        var altered = ReplaceFirstAfter(text, "##### message `Command`", "| `seq` | `uint64` | 1 | singular (implicit presence) |",
            "| `seq` | `uint64` | 1 | optional |");
        altered = ReplaceFirstAfter(altered, "##### enum `ContainerTerminationReason`", "| `CONTAINER_TERMINATION_REASON_PROCESS_CRASH` | 9 |",
            "| `CONTAINER_TERMINATION_REASON_PROCESS_CRASH` | 12 |");
        altered = ReplaceFirstAfter(altered, "### v2 services", "| `poll_commands` | `PollCommandsRequest` | `PollCommandsResponse` | unary |",
            "| `poll_commands` | `PollCommandsRequest` | `PollCommandsResponse` | server streaming |");
        altered = ReplaceFirstAfter(altered, "##### message `Allocation`", "| `last_event_clock` | `uint64` | 11 | optional |\n", string.Empty);

        var diffs = DescriptorComparer.Compare(WireContractParser.Parse(altered).Resolve("4")!, [ExecutorApiV2Reflection.Descriptor]);

        Assert.Equal(
            [
                "[§4] service executor_api_pb.ExecutorAPI method poll_commands: streaming is 'server streaming' in the reference, 'unary' compiled",
                "[§4] enum executor_api_pb.ContainerTerminationReason member CONTAINER_TERMINATION_REASON_PROCESS_CRASH: value is '12' in the reference, '9' compiled",
                "[§4] message executor_api_pb.Allocation field last_event_clock = 11 (uint64, optional): compiled, not in the reference",
                "[§4] message executor_api_pb.Command field seq: label is 'optional' in the reference, 'singular (implicit presence)' compiled",
            ],
            diffs);
    }

    [Fact]
    public void V2_unchanged_items_are_section_1_tables_so_a_section_1_alteration_shows_in_both()
    {
        var text = WireContractFile.ReadText(WireContractFile.DefaultPath);
        var altered = ReplaceFirstAfter(text, "#### message `DataPayload`", "| `uri` | `string` | 1 | optional |", "| `uri` | `string` | 11 | optional |");
        var contract = WireContractParser.Parse(altered);

        Assert.Equal(
            ["[§1] message executor_api_pb.DataPayload field uri: number is '11' in the reference, '1' compiled"],
            DescriptorComparer.Compare(contract.Resolve("1")!, [ExecutorApiReflection.Descriptor]));
        Assert.Equal(
            ["[§4] message executor_api_pb.DataPayload field uri: number is '11' in the reference, '1' compiled"],
            DescriptorComparer.Compare(contract.Resolve("4")!, [ExecutorApiV2Reflection.Descriptor]));
    }

    [Fact]
    public void V2_is_not_v1_the_sections_check_different_files()
    {
        // v1 and v2 share the package and many message names: the v2 reference against the v1 file must find the
        // v1-only and v2-only items rather than pass on the common ones.
        var diffs = DescriptorComparer.Compare(WireContractFile.LoadDefault().Resolve("4")!, [ExecutorApiReflection.Descriptor]);

        Assert.Contains("[§4] service executor_api_pb.ExecutorAPI method heartbeat: in the reference, missing from the compiled descriptor", diffs);
        Assert.Contains("[§4] service executor_api_pb.ExecutorAPI method report_executor_state: compiled, not in the reference", diffs);
        Assert.Contains("[§4] message executor_api_pb.HeartbeatRequest: in the reference, missing from the compiled descriptors", diffs);
        Assert.Contains("[§4] message executor_api_pb.DesiredExecutorState: compiled, not in the reference", diffs);
        Assert.Contains("[§4] enum executor_api_pb.FunctionExecutorTerminationReason: compiled, not in the reference", diffs);
        Assert.DoesNotContain(diffs, d => d.Contains("executor_api_pb.DataPayload", StringComparison.Ordinal));
    }

    [Fact]
    public void A_v2_change_table_that_does_not_add_up_is_a_parse_error_and_hides_nothing()
    {
        var text = WireContractFile.ReadText(WireContractFile.DefaultPath);
        // ExecutorUpdate loses its row (a §1 message nobody accounts for), DesiredExecutorState is no longer listed as
        // removed, FunctionRef is claimed to be new, and ReplayMode is marked unchanged although §1 has no such enum.
        var altered = ReplaceFirstAfter(text, "### What changed against v1", "| message | `ExecutorUpdate` | unchanged | no |  |\n", string.Empty);
        altered = ReplaceFirstAfter(altered, "### What changed against v1", ", message `DesiredExecutorState`", string.Empty);
        altered = ReplaceFirstAfter(altered, "### What changed against v1", "| message | `FunctionRef` | unchanged | yes |  |", "| message | `FunctionRef` | new in v2 | yes |  |");
        altered = ReplaceFirstAfter(altered, "### What changed against v1", "| enum | `ReplayMode` | new in v2 | yes |  |", "| enum | `ReplayMode` | unchanged | yes |  |");

        var resolved = WireContractParser.Parse(altered).Resolve("4")!;

        Assert.Equal(
            [
                "§4 (based on §1): enum ReplayMode is marked unchanged but has its own table",
                "§4 (based on §1): message FunctionRef is marked new but has no table of its own",
                "§4 (based on §1): §1 message FunctionRef is neither unchanged, changed, renamed nor removed in the change table",
                "§4 (based on §1): §1 message ExecutorUpdate is neither unchanged, changed, renamed nor removed in the change table",
                "§4 (based on §1): §1 message DesiredExecutorState is neither unchanged, changed, renamed nor removed in the change table",
            ],
            resolved.ParseErrors);

        // The items the broken rows leave out are still visible to the comparer as compiled-but-unreferenced.
        var diffs = DescriptorComparer.Compare(resolved, [ExecutorApiV2Reflection.Descriptor]);
        Assert.Equal(
            [
                "[§4] enum executor_api_pb.ReplayMode: compiled, not in the reference",
                "[§4] message executor_api_pb.ExecutorUpdate: compiled, not in the reference",
                "[§4] message executor_api_pb.FunctionRef: compiled, not in the reference",
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

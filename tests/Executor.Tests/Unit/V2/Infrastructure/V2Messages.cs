using Executor.Model;
using Executor.Server;
using Google.Protobuf;
using ProtoV2 = Executor.Protocol.ServerV2;

namespace Executor.Tests.Unit.V2.Infrastructure;

/// <summary>v2 wire messages shaped like the Server's (server-contract §3, indexify-v2.md §10), for adapter tests.</summary>
internal static class V2Messages
{
    public static ProtoV2.DataPayload Payload(string uri) => new()
    {
        Uri = uri,
        Encoding = ProtoV2.DataPayloadEncoding.Utf8Json,
        EncodingVersion = 0,
        ContentType = "application/json",
        MetadataSize = 0,
        Offset = 0,
        Size = 3,
        Sha256Hash = "ab",
    };

    public static ProtoV2.ContainerDescription Container(string id, string function = "fn") => new()
    {
        Id = id,
        Function = new ProtoV2.FunctionRef { Namespace = "ns", ApplicationName = "app", FunctionName = function, ApplicationVersion = "1" },
        InitializationTimeoutMs = 1000,
        Application = new ProtoV2.DataPayload(Payload("file:///code.zip")) { Encoding = ProtoV2.DataPayloadEncoding.BinaryZip, ContentType = "application/zip", Id = "code" },
        Resources = new ProtoV2.ContainerResources { CpuMsPerSec = 1000, MemoryBytes = 1 << 20, DiskBytes = 1 << 20 },
        MaxConcurrency = 1,
        AllocationTimeoutMs = 300_000,
        ContainerType = ProtoV2.ContainerType.Function,
        PoolId = $"app|{function}|1",
    };

    public static ProtoV2.Allocation Allocation(string id, string containerId) => new()
    {
        Function = new ProtoV2.FunctionRef { Namespace = "ns", ApplicationName = "app", FunctionName = "fn" },
        AllocationId = id,
        FunctionCallId = "call-" + id,
        RequestId = "req",
        Args = { Payload("file:///blobs/arg") },
        RequestDataPayloadUriPrefix = "file:///blobs/ns/app/req",
        RequestErrorPayloadUriPrefix = "file:///blobs/ns/app/req",
        ContainerId = containerId,
        FunctionCallMetadata = ByteString.Empty,
    };

    public static ProtoV2.Command Add(ulong seq, string containerId) => new() { Seq = seq, AddContainer = new ProtoV2.AddContainer { Container = Container(containerId) } };

    public static ProtoV2.Command Run(ulong seq, string allocationId, string containerId) => new() { Seq = seq, RunAllocation = new ProtoV2.RunAllocation { Allocation = Allocation(allocationId, containerId) } };

    public static ProtoV2.Command Remove(ulong seq, string containerId) => new() { Seq = seq, RemoveContainer = new ProtoV2.RemoveContainer { ContainerId = containerId } };

    public static ProtoV2.Command Kill(ulong seq, string allocationId) => new() { Seq = seq, KillAllocation = new ProtoV2.KillAllocation { AllocationId = allocationId } };

    public static ProtoV2.SequencedAllocationResult Result(ulong seq, string parentAllocationId, string functionCallId, bool success = true) => new()
    {
        Seq = seq,
        Entry = new ProtoV2.AllocationLogEntry
        {
            AllocationId = parentAllocationId,
            Clock = 0,
            FunctionCallResult = success
                ? new ProtoV2.FunctionCallResult { Namespace = "ns", RequestId = "req", FunctionCallId = functionCallId, OutcomeCode = ProtoV2.AllocationOutcomeCode.Success, ReturnValue = Payload("file:///blobs/out") }
                : new ProtoV2.FunctionCallResult { Namespace = "ns", RequestId = "req", FunctionCallId = functionCallId, OutcomeCode = ProtoV2.AllocationOutcomeCode.Failure, FailureReason = ProtoV2.AllocationFailureReason.FunctionError },
        },
    };

    public static ExecutorReport Report(IReadOnlyList<FunctionExecutorState>? executors = null, IReadOnlyList<AllocationOutcome>? results = null, ExecutorStatus status = ExecutorStatus.Running) => new()
    {
        ExecutorId = "exec-1",
        Hostname = "host",
        Version = "test",
        Status = status,
        TotalResources = new HostCapacity(4, 8UL << 30, 100UL << 30, null),
        TotalFunctionExecutorResources = new HostCapacity(4, 8UL << 30, 100UL << 30, null),
        AllowedFunctions = [new Model.FunctionRef("ns", "app", "fn", null)],
        Labels = new Dictionary<string, string> { ["os"] = "linux" },
        FunctionExecutors = executors ?? [],
        Results = results ?? [],
    };

    public static AllocationOutcome Success(string allocationId, string feId = "c-1", int valueBytes = 10) => new()
    {
        AllocationId = allocationId,
        FunctionExecutorId = feId,
        Function = new Model.FunctionRef("ns", "app", "fn", null),
        FunctionCallId = "call-" + allocationId,
        RequestId = "req",
        Outcome = OutcomeCode.Success,
        Value = new DataPayloadRef { Uri = "file:///blobs/" + new string('x', valueBytes), Sha256 = "ab", Size = 3, Encoding = PayloadEncoding.Utf8Json },
        ExecutionDurationMs = 5,
    };

    public static AllocationOutcome Failure(string allocationId, AllocationFailureReason reason, string feId = "c-1") => new()
    {
        AllocationId = allocationId,
        FunctionExecutorId = feId,
        Function = new Model.FunctionRef("ns", "app", "fn", null),
        FunctionCallId = "call-" + allocationId,
        RequestId = "req",
        Outcome = OutcomeCode.Failure,
        FailureReason = reason,
    };

    public static FunctionCallRequestSpec Call(string allocationId, string root, int argBytes = 10) => new()
    {
        Namespace = "ns",
        Application = "app",
        RequestId = "req",
        SourceFunctionCallId = "call-" + allocationId,
        AllocationId = allocationId,
        Updates = new CallGraph
        {
            RootFunctionCallId = root,
            Nodes =
            [
                new CallGraphNode
                {
                    Id = root,
                    Target = new Model.FunctionRef("ns", "app", "child", null),
                    Args = [new CallArg { Inline = new DataPayloadRef { Uri = "file:///blobs/" + new string('a', argBytes), Sha256 = "cd", Size = 1, Encoding = PayloadEncoding.Utf8Json } }],
                },
            ],
        },
    };
}

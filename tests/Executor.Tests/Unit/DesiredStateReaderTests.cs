using System.Text;
using Executor.Protocol.ServerV1;
using Executor.Server;
using Executor.Server.V1;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Executor.Tests.Unit;

public sealed class DesiredStateReaderTests
{
    private static FunctionExecutorDescription Fe(string id) => new()
    {
        Id = id,
        Function = new FunctionRef { Namespace = "ns", ApplicationName = "app", FunctionName = "fn", ApplicationVersion = "1" },
        InitializationTimeoutMs = 1000,
        Application = Payload("file:///code.zip"),
        Resources = new FunctionExecutorResources { CpuMsPerSec = 1000, MemoryBytes = 1 << 20, DiskBytes = 1 << 20 },
        MaxConcurrency = 1,
        AllocationTimeoutMs = 1000,
    };

    private static DataPayload Payload(string uri) => new() { Uri = uri, Encoding = DataPayloadEncoding.Utf8Json, EncodingVersion = 0, Offset = 0, Size = 3, Sha256Hash = "ab" };

    private static Allocation Allocation(string id, string fe) => new()
    {
        Function = new FunctionRef { Namespace = "ns", ApplicationName = "app", FunctionName = "fn" },
        AllocationId = id,
        FunctionCallId = "call",
        RequestId = "req",
        RequestDataPayloadUriPrefix = "file:///p",
        RequestErrorPayloadUriPrefix = "file:///p",
        FunctionExecutorId = fe,
        FunctionCallMetadata = ByteString.Empty,
        Args = { Payload("file:///arg") },
    };

    [Fact]
    public void ValidPiecesPassAndEachInvalidOneIsDroppedAlone()
    {
        var message = new DesiredExecutorState { Clock = 5 };
        message.FunctionExecutors.Add(Fe("fe-1"));
        var noResources = Fe("fe-2");
        noResources.Resources = null;
        message.FunctionExecutors.Add(noResources);
        message.FunctionExecutors.Add(Fe("fe-1"));
        message.Allocations.Add(Allocation("a-1", "fe-1"));
        var noMetadata = Allocation("a-2", "fe-1");
        noMetadata.ClearFunctionCallMetadata();
        message.Allocations.Add(noMetadata);
        var noRequest = Allocation("a-3", "fe-1");
        noRequest.ClearRequestId();
        message.Allocations.Add(noRequest);
        message.Allocations.Add(Allocation("a-1", "fe-1"));
        message.FunctionCallResults.Add(new FunctionCallResult { Namespace = "ns", RequestId = "r", FunctionCallId = "c", OutcomeCode = AllocationOutcomeCode.Unknown });

        var cache = new FunctionExecutorDescriptionStore();
        var state = new DesiredStateReader(NullLogger.Instance).Read(message, cache);

        Assert.Equal(5UL, state.Clock);
        Assert.Equal(["fe-1"], state.FunctionExecutors.Select(f => f.Id));
        Assert.Equal(["a-1"], state.Allocations.Select(a => a.AllocationId));
        Assert.Equal(["a-2"], state.RejectedAllocations.Select(a => a.AllocationId));
        Assert.Equal(5, state.RejectedPieces);
        Assert.Single(state.FunctionCallResults);
        Assert.False(state.FunctionCallResults[0].IsDeliverable);
        Assert.True(cache.TryGet("fe-1", FunctionExecutorDescription.Parser, out var echoed));
        Assert.Same(message.FunctionExecutors[0], echoed);
        Assert.Equal(Encoding.UTF8.GetBytes(string.Empty), state.Allocations[0].FunctionCallMetadata);
    }

    [Fact]
    public void ZeroValuesPassLikeUpstreamButMissingPresenceFails()
    {
        var fe = Fe("fe");
        fe.MaxConcurrency = 0;
        Assert.Null(IncomingSpecs.ValidateDescription(fe));
        fe.ClearMaxConcurrency();
        Assert.NotNull(IncomingSpecs.ValidateDescription(fe));

        var payload = Payload("file:///x");
        payload.ClearEncodingVersion();
        Assert.NotNull(IncomingSpecs.ValidatePayload(payload));
    }
}

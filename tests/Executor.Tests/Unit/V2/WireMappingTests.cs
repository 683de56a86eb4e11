using Executor.Model;
using Executor.Server;
using Executor.Server.V2;
using Google.Protobuf;
using Xunit;
using static Executor.Tests.Unit.V2.Infrastructure.V2Messages;
using ProtoV1 = Executor.Protocol.ServerV1;
using ProtoV2 = Executor.Protocol.ServerV2;
using V2Wire = Executor.Server.V2.WireMapping;

namespace Executor.Tests.Unit.V2;

/// <summary>v2 wire mapping: renumbered reasons by meaning, twins read both ways, outcome shapes the Server accepts.</summary>
public sealed class WireMappingTests
{
    public static TheoryData<FunctionExecutorTerminationReason, ProtoV2.ContainerTerminationReason> Reasons => new()
    {
        { FunctionExecutorTerminationReason.Unknown, ProtoV2.ContainerTerminationReason.Unknown },
        { FunctionExecutorTerminationReason.StartupFailedInternalError, ProtoV2.ContainerTerminationReason.StartupFailedInternalError },
        { FunctionExecutorTerminationReason.StartupFailedFunctionError, ProtoV2.ContainerTerminationReason.StartupFailedFunctionError },
        { FunctionExecutorTerminationReason.StartupFailedFunctionTimeout, ProtoV2.ContainerTerminationReason.StartupFailedFunctionTimeout },
        { FunctionExecutorTerminationReason.Unhealthy, ProtoV2.ContainerTerminationReason.Unhealthy },
        { FunctionExecutorTerminationReason.InternalError, ProtoV2.ContainerTerminationReason.InternalError },
        { FunctionExecutorTerminationReason.FunctionTimeout, ProtoV2.ContainerTerminationReason.FunctionTimeout },
        { FunctionExecutorTerminationReason.FunctionCancelled, ProtoV2.ContainerTerminationReason.FunctionCancelled },
        { FunctionExecutorTerminationReason.Oom, ProtoV2.ContainerTerminationReason.Oom },
    };

    [Theory]
    [MemberData(nameof(Reasons))]
    public void TerminationReasonsMapByMeaningBothWays(FunctionExecutorTerminationReason domain, ProtoV2.ContainerTerminationReason wire)
    {
        Assert.Equal(wire, TerminationReasons.ToWire(domain));
        Assert.Equal(domain, TerminationReasons.ToDomain(wire));
    }

    [Fact]
    public void EveryDomainReasonHasAV2MeaningAndV2OnlyReasonsMapToTheNearestOne()
    {
        Assert.All(Enum.GetValues<FunctionExecutorTerminationReason>().Where(r => r != FunctionExecutorTerminationReason.Unknown), r => Assert.NotEqual(ProtoV2.ContainerTerminationReason.Unknown, TerminationReasons.ToWire(r)));
        Assert.Equal(FunctionExecutorTerminationReason.Unhealthy, TerminationReasons.ToDomain(ProtoV2.ContainerTerminationReason.ProcessCrash));
        Assert.Equal(FunctionExecutorTerminationReason.StartupFailedInternalError, TerminationReasons.ToDomain(ProtoV2.ContainerTerminationReason.StartupFailedBadImage));
        Assert.Equal((int)ProtoV2.AllocationFailureReason.ContainerTerminated, (int)V2Wire.ToWire(AllocationFailureReason.FunctionExecutorTerminated));
    }

    [Fact]
    public void ContainerDescriptionAndAllocationReadAsTheirV1TwinsWithoutLosingV2OnlyFields()
    {
        var description = Container("c-1");
        description.SandboxMetadata = new ProtoV2.SandboxMetadata { SnapshotUri = "s3://only-in-v2" };
        var v1 = V2Wire.AsV1(description);
        Assert.Equal("c-1", v1.Id);
        Assert.Equal(ProtoV1.FunctionExecutorType.Function, v1.ContainerType);
        Assert.Equal(description.ToByteString(), v1.ToByteString());

        var allocation = Allocation("a-1", "c-1");
        allocation.ReplayMode = ProtoV2.ReplayMode.Strict;
        var v1Allocation = V2Wire.AsV1(allocation);
        Assert.Equal("c-1", v1Allocation.FunctionExecutorId);
        Assert.Equal(allocation.ToByteString(), v1Allocation.ToByteString());
    }

    [Fact]
    public void OutcomesCarryTheAllocationsIdentityAndContainerIdOnlyWhenGiven()
    {
        var completed = V2Wire.ToWire(Success("a-1"), null).Completed;
        Assert.Equal("a-1", completed.AllocationId);
        Assert.Equal("call-a-1", completed.FunctionCallId);
        Assert.Equal("req", completed.RequestId);
        Assert.False(completed.Function.HasApplicationVersion);
        Assert.Equal(5UL, completed.ExecutionDurationMs);
        Assert.Equal("file:///blobs/xxxxxxxxxx", completed.Value.Uri);

        var failed = V2Wire.ToWire(Failure("a-2", AllocationFailureReason.FunctionExecutorTerminated), "c-1").Failed;
        Assert.Equal(ProtoV2.AllocationFailureReason.ContainerTerminated, failed.Reason);
        Assert.Equal("c-1", failed.ContainerId);
        Assert.False(failed.HasExecutionDurationMs);
        Assert.False(V2Wire.ToWire(Failure("a-3", AllocationFailureReason.FunctionTimeout), null).Failed.HasContainerId);
        Assert.Equal(ProtoV2.AllocationFailureReason.InternalError, V2Wire.ToWire(Failure("a-4", AllocationFailureReason.Unknown), null).Failed.Reason);
    }

    [Fact]
    public void CallFunctionBecomesALogEntryUnderTheCallingAllocationWithItsRoot()
    {
        var entry = V2Wire.ToLogEntry(Call("parent", "root-1"));
        Assert.Equal("parent", entry.AllocationId);
        Assert.Equal(0UL, entry.Clock);
        Assert.Equal("root-1", entry.CallFunction.Updates.RootFunctionCallId);
        Assert.Equal("call-parent", entry.CallFunction.SourceFunctionCallId);
        Assert.Equal("root-1", entry.CallFunction.Updates.Updates[0].FunctionCall.Id);
        Assert.Equal(ProtoV2.FunctionArg.SourceOneofCase.InlineData, entry.CallFunction.Updates.Updates[0].FunctionCall.Args[0].SourceCase);
    }

    [Fact]
    public void SharedValidationRefusesWhatEitherServerWouldRejectOrSilentlyDrop()
    {
        Assert.Null(OutcomeValidator.Validate(Success("a-1")));
        Assert.NotNull(OutcomeValidator.Validate(Success("a-1") with { Value = Success("a-1").Value! with { Uri = "" } }));
        Assert.NotNull(OutcomeValidator.Validate(Success("a-1") with { Value = null, Updates = new CallGraph { RootFunctionCallId = "" } }));
        Assert.NotNull(OutcomeValidator.Validate(Success("a-1") with { Value = null, Updates = new CallGraph { RootFunctionCallId = "r", Nodes = [new CallGraphNode { Id = "", Target = new Model.FunctionRef("ns", "app", "f", null) }] } }));
        Assert.NotNull(OutcomeValidator.Validate(Success("a-1") with { Value = null, Updates = new CallGraph { RootFunctionCallId = "r", Nodes = [new CallGraphNode { Id = "n", Target = new Model.FunctionRef("ns", "app", "f", null), Args = [new CallArg()] }] } }));
        Assert.NotNull(OutcomeValidator.Validate(Failure("a-1", (AllocationFailureReason)99)));
        Assert.NotNull(OutcomeValidator.ValidateCallGraph(Call("a", "r").Updates with { RootFunctionCallId = "" }));
        Assert.Null(OutcomeValidator.ValidateCallGraph(Call("a", "r").Updates));
    }
}

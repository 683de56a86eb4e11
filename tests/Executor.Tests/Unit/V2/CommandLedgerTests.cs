using Executor.Model;
using Executor.Server;
using Executor.Server.V2;
using Executor.Tests.Unit.V2.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;
using static Executor.Tests.Unit.V2.Infrastructure.V2Messages;
using ProtoV2 = Executor.Protocol.ServerV2;

namespace Executor.Tests.Unit.V2;

/// <summary>The v2 command ledger: seq rules, idempotent commands, complete snapshots, results routed to parents.</summary>
public sealed class CommandLedgerTests
{
    private static CommandLedger NewLedger(FunctionExecutorDescriptionStore? store = null) => new(NullLogger.Instance, store ?? new FunctionExecutorDescriptionStore());

    [Fact]
    public void CommandsApplyInSeqOrderSkipSeenOnesAndStopAtAGap()
    {
        var ledger = NewLedger();
        Assert.Null(ledger.Commands.Ack);

        var first = ledger.ApplyCommands([Add(1, "c-1"), Run(2, "a-1", "c-1")]);
        Assert.Equal(2, first.Applied);
        Assert.Equal(2UL, ledger.Commands.Ack);

        // Re-delivered (our ack was not processed yet) plus one new, then a gap.
        var second = ledger.ApplyCommands([Add(1, "c-1"), Run(2, "a-1", "c-1"), Run(3, "a-2", "c-1"), Run(5, "a-3", "c-1"), Run(6, "a-4", "c-1")]);
        Assert.Equal(2, second.Skipped);
        Assert.Equal(1, second.Applied);
        Assert.Equal(5UL, second.GapAt);
        Assert.Equal(3UL, ledger.Commands.Ack);

        var snapshot = ledger.Snapshot();
        Assert.Equal(["a-1", "a-2"], snapshot.Allocations.Select(a => a.AllocationId));
        Assert.Equal(["c-1"], snapshot.FunctionExecutors.Select(f => f.Id));
    }

    [Fact]
    public void ReregistrationRestartsBothCursorsWithoutAnAckButKeepsWhatWasApplied()
    {
        var ledger = NewLedger();
        ledger.ApplyCommands([Add(1, "c-1"), Run(2, "a-1", "c-1")]);
        ledger.ApplyResults([Result(1, "a-1", "child-1")]);
        Assert.Equal(1UL, ledger.Results.Ack);

        ledger.ResetCursors();
        Assert.Null(ledger.Commands.Ack);
        Assert.Null(ledger.Results.Ack);

        // The full batch after re-registration re-sends what the Server still holds, numbered from 1: no-ops here.
        var batch = ledger.ApplyCommands([Add(1, "c-1"), Run(2, "a-1", "c-1")]);
        Assert.Equal(2, batch.Applied);
        Assert.False(batch.Changed);
        Assert.Empty(batch.Responses);
        Assert.Equal(2UL, ledger.Commands.Ack);
        Assert.Single(ledger.Snapshot().Allocations);
        Assert.Single(ledger.Snapshot().FunctionCallResults);
    }

    [Fact]
    public void DuplicatesAreNoOpsEvenAfterTheContainerWasRemovedOrTheAllocationFinished()
    {
        var ledger = NewLedger();
        ledger.ApplyCommands([Add(1, "c-1"), Run(2, "a-1", "c-1"), Remove(3, "c-1")]);
        ledger.OutcomesDelivered(["a-1"]);
        var versionBefore = ledger.Version;

        var batch = ledger.ApplyCommands([Run(4, "a-1", "c-1"), Add(5, "c-1")]);
        Assert.False(batch.Changed);
        Assert.Equal(versionBefore, ledger.Version);
        Assert.Empty(ledger.Snapshot().Allocations);
        Assert.Empty(ledger.Snapshot().FunctionExecutors);

        // The removed container is gone here: the Server hears so instead of waiting for it to start.
        var answer = Assert.Single(batch.Responses);
        Assert.Equal("c-1", answer.ContainerTerminated.ContainerId);
        Assert.Equal(ProtoV2.ContainerTerminationReason.FunctionCancelled, answer.ContainerTerminated.Reason);
    }

    [Fact]
    public void RemoveContainerKeepsItsAllocationsUntilTheirOutcomesWereDelivered()
    {
        var ledger = NewLedger();
        ledger.ApplyCommands([Add(1, "c-1"), Run(2, "a-1", "c-1"), Run(3, "a-2", "c-1")]);
        var removal = ledger.ApplyCommands([Remove(4, "c-1"), Remove(5, "unknown")]);
        Assert.Equal(["c-1"], removal.RemovedContainers);

        var snapshot = ledger.Snapshot();
        Assert.Empty(snapshot.FunctionExecutors);
        Assert.Equal(["a-1", "a-2"], snapshot.Allocations.Select(a => a.AllocationId));

        Assert.True(ledger.OutcomesDelivered(["a-1"]));
        Assert.Equal(["a-2"], ledger.Snapshot().Allocations.Select(a => a.AllocationId));
        Assert.True(ledger.Snapshot().Clock > snapshot.Clock);
    }

    [Fact]
    public void RunAllocationAnswersScheduledWithItsSeqEvenForAnUnknownContainer()
    {
        var ledger = NewLedger();
        var batch = ledger.ApplyCommands([Run(1, "a-1", "nowhere")]);
        var scheduled = Assert.Single(batch.Responses);
        Assert.Equal(1UL, scheduled.CommandSeq);
        Assert.Equal("a-1", scheduled.AllocationScheduled.AllocationId);

        // The grain fails it (the container is not desired); the ledger only has to keep offering it.
        var allocation = Assert.Single(ledger.Snapshot().Allocations);
        Assert.Equal("nowhere", allocation.FunctionExecutorId);
    }

    [Fact]
    public void KillAllocationMovesItToTheCancelledListAndUnknownIdsAreIgnored()
    {
        var ledger = NewLedger();
        ledger.ApplyCommands([Add(1, "c-1"), Run(2, "a-1", "c-1"), Run(3, "a-2", "c-1")]);
        var batch = ledger.ApplyCommands([Kill(4, "a-1"), Kill(5, "unknown"), Kill(6, "a-1")]);
        Assert.Equal(3, batch.Applied);

        var snapshot = ledger.Snapshot();
        Assert.Equal(["a-2"], snapshot.Allocations.Select(a => a.AllocationId));
        Assert.Equal(["a-1"], snapshot.CancelledAllocations.Select(a => a.AllocationId));

        ledger.OutcomesDelivered(["a-1"]);
        Assert.Empty(ledger.Snapshot().CancelledAllocations);
    }

    [Fact]
    public void SnapshotContainerIsRefusedClearlyAndUpdateContainerDescriptionIsAcknowledgedOnly()
    {
        var ledger = NewLedger();
        var batch = ledger.ApplyCommands(
        [
            Add(1, "c-1"),
            new ProtoV2.Command { Seq = 2, SnapshotContainer = new ProtoV2.SnapshotContainer { ContainerId = "c-1", SnapshotId = "snap-1", UploadUri = "s3://b/snap" } },
            new ProtoV2.Command { Seq = 3, UpdateContainerDescription = new ProtoV2.UpdateContainerDescription { ContainerId = "c-1" } },
            new ProtoV2.Command { Seq = 4 },
        ]);

        Assert.Equal(4UL, ledger.Commands.Ack);
        var failed = Assert.Single(batch.Responses).SnapshotFailed;
        Assert.Equal("c-1", failed.ContainerId);
        Assert.Equal("snap-1", failed.SnapshotId);
        Assert.Equal("snapshots are not supported by this executor", failed.ErrorMessage);
        Assert.False(Assert.Single(batch.Responses).HasCommandSeq);
        Assert.Equal(1, batch.Rejected);
    }

    [Fact]
    public void AnInvalidContainerIsReportedTerminatedAndAnInvalidButIdentifiableAllocationFailsInternalError()
    {
        var ledger = NewLedger();
        var noResources = Add(1, "c-bad");
        noResources.AddContainer.Container.Resources = null;
        var noPrefix = Run(2, "a-bad", "c-bad");
        noPrefix.RunAllocation.Allocation.ClearRequestDataPayloadUriPrefix();
        var anonymous = Run(3, "x", "c-bad");
        anonymous.RunAllocation.Allocation.ClearAllocationId();

        var batch = ledger.ApplyCommands([noResources, noPrefix, anonymous]);
        Assert.Equal(3, batch.Rejected);
        var terminated = Assert.Single(batch.Responses).ContainerTerminated;
        Assert.Equal(ProtoV2.ContainerTerminationReason.StartupFailedInternalError, terminated.Reason);

        var snapshot = ledger.Snapshot();
        Assert.Empty(snapshot.FunctionExecutors);
        var rejected = Assert.Single(snapshot.RejectedAllocations);
        Assert.Equal("a-bad", rejected.AllocationId);
        Assert.Equal(AllocationFailureReason.InternalError, rejected.FailureReason);
    }

    [Fact]
    public void ContainerDescriptionsAreRememberedForTheEchoAndMappedLikeV1()
    {
        var store = new FunctionExecutorDescriptionStore();
        var ledger = NewLedger(store);
        ledger.ApplyCommands([Add(1, "c-1")]);

        Assert.True(store.TryGet("c-1", ProtoV2.ContainerDescription.Parser, out var echoed));
        Assert.Equal(Container("c-1"), echoed);
        var spec = Assert.Single(ledger.Snapshot().FunctionExecutors);
        Assert.Equal(new Model.FunctionRef("ns", "app", "fn", "1"), spec.Function);
        Assert.Equal(1000U, spec.Resources.CpuMsPerSec);
        Assert.Equal("file:///code.zip", spec.Application!.Uri);
    }

    [Fact]
    public void ResultsGoToTheirParentWhileItIsHereAndAreDroppedOtherwise()
    {
        var ledger = NewLedger();
        ledger.ApplyCommands([Add(1, "c-1"), Run(2, "a-1", "c-1")]);

        var batch = ledger.ApplyResults([Result(1, "a-1", "child-1"), Result(2, "gone", "child-2"), Result(3, "a-1", "child-3", success: false)]);
        Assert.Equal(3, batch.Applied);
        Assert.Equal(1, batch.Dropped);
        Assert.Equal(3UL, ledger.Results.Ack);

        var results = ledger.Snapshot().FunctionCallResults;
        Assert.Equal(["child-1", "child-3"], results.Select(r => r.FunctionCallId));
        Assert.True(results.All(r => r.IsDeliverable));
        Assert.Equal("ns.req.child-1", results[0].ResultKey);

        ledger.OutcomesDelivered(["a-1"]);
        Assert.Empty(ledger.Snapshot().FunctionCallResults);
    }

    [Fact]
    public void AResultGapIsSkippedBecauseTheServerNeverResendsResults()
    {
        var ledger = NewLedger();
        ledger.ApplyCommands([Add(1, "c-1"), Run(2, "a-1", "c-1")]);
        var batch = ledger.ApplyResults([Result(1, "a-1", "child-1"), Result(4, "a-1", "child-4"), Result(4, "a-1", "child-4")]);
        Assert.Equal(2UL, batch.GapFrom);
        Assert.Equal(4UL, ledger.Results.Ack);
        Assert.Equal(2, ledger.Snapshot().FunctionCallResults.Count);
    }
}

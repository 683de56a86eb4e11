using Executor.Model;
using Executor.Server.V2;
using Xunit;
using static Executor.Tests.Unit.V2.Infrastructure.V2Messages;
using ProtoV2 = Executor.Protocol.ServerV2;
using V2Wire = Executor.Server.V2.WireMapping;

namespace Executor.Tests.Unit.V2;

/// <summary>How one heartbeat is filled: Server processing order, the size limit, and calls before dependent outcomes.</summary>
public sealed class HeartbeatBatchTests
{
    private const int MiB = 1024 * 1024;

    private static ProtoV2.HeartbeatRequest NewRequest() => new() { ExecutorId = "exec-1", Status = ProtoV2.ExecutorStatus.Running };

    private static PreparedOutcome Prepared(AllocationOutcome outcome) => new(outcome.AllocationId, outcome, V2Wire.ToWire(outcome, null));

    private static QueuedFunctionCall Queued(string allocationId, string root, int argBytes = 10) =>
        new(QueuedFunctionCall.KeyOf(allocationId, root), V2Wire.ToLogEntry(Call(allocationId, root, argBytes)));

    private static ProtoV2.CommandResponse Started(string id) => new() { ContainerStarted = new ProtoV2.ContainerStarted { ContainerId = id } };

    [Fact]
    public void EverythingFitsInServerProcessingOrder()
    {
        var batch = HeartbeatBatch.Build(NewRequest(), [Started("c-1")], [Queued("a-1", "r-1")], [Prepared(Success("a-1")), Prepared(Success("a-2"))], 10 * MiB);

        Assert.False(batch.LeftOver);
        Assert.Single(batch.Request.CommandResponses);
        Assert.Single(batch.Request.AllocationLogEntries);
        Assert.Equal(["a-1", "a-2"], batch.OutcomeIds);
        Assert.Equal(batch.Request.CalculateSize(), batch.Bytes);
    }

    [Fact]
    public void ItemsBeyondTheLimitWaitOldestFirstAndTheHeartbeatStaysUnderIt()
    {
        var outcomes = Enumerable.Range(0, 5).Select(i => Prepared(Success("a-" + i, valueBytes: 300 * 1024))).ToList();
        var batch = HeartbeatBatch.Build(NewRequest(), [], [], outcomes, MiB);

        Assert.True(batch.LeftOver);
        Assert.Equal(["a-0", "a-1", "a-2"], batch.OutcomeIds);
        Assert.True(batch.Bytes < MiB);
    }

    [Fact]
    public void TheFirstItemAlwaysGoesEvenWhenTheFullStateFillsTheBudget()
    {
        var request = NewRequest();
        request.FullState = new ProtoV2.DataplaneStateFullSync { Hostname = new string('h', MiB) };
        var batch = HeartbeatBatch.Build(request, [Started("c-1"), Started("c-2")], [], [], MiB);

        Assert.True(batch.LeftOver);
        Assert.Single(batch.Responses);
        Assert.True(batch.CarriesFullState);
    }

    [Fact]
    public void AnOutcomeWaitsForTheCallFunctionEntriesOfItsAllocation()
    {
        // a-1's call does not fit; its outcome must not reach the Server before the call, a-2's outcome may.
        var calls = new[] { Queued("a-0", "r-0", argBytes: 600 * 1024), Queued("a-1", "r-1", argBytes: 600 * 1024) };
        var batch = HeartbeatBatch.Build(NewRequest(), [], calls, [Prepared(Success("a-1")), Prepared(Success("a-2"))], MiB);

        Assert.True(batch.LeftOver);
        Assert.Equal([calls[0]], batch.Calls);
        Assert.Equal(["a-2"], batch.OutcomeIds);
    }
}

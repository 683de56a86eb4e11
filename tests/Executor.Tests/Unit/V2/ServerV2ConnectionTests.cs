using Executor.Model;
using Executor.Server;
using Executor.Testing;
using Executor.Tests.Unit.V2.Infrastructure;
using Google.Protobuf;
using Grpc.Core;
using Xunit;
using static Executor.Tests.Unit.V2.Infrastructure.V2Messages;
using ProtoV2 = Executor.Protocol.ServerV2;

namespace Executor.Tests.Unit.V2;

/// <summary>The v2 adapter against a scripted v2 Server: registration, the outbox, polls and their cursors, call_function.</summary>
public sealed class ServerV2ConnectionTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static FunctionExecutorState Running(string id) => new() { FunctionExecutorId = id, Status = FunctionExecutorStatus.Running };

    private static async Task RegisterAsync(AdapterHarness harness) => await harness.V2.ReportAsync(Report(), AdapterHarness.Timeout());

    [Fact]
    public async Task AnUnknownExecutorIsAskedForStateAndSendsItAtOnceWithTheSameItemsWhichLeaveOnlyThen()
    {
        await using var harness = await AdapterHarness.StartAsync();
        harness.Descriptions.Remember("c-1", Container("c-1"));

        var receipt = await harness.V2.ReportAsync(Report([Running("c-1")], [Success("a-1")]), AdapterHarness.Timeout());

        Assert.Equal(["a-1"], receipt.DeliveredResultIds);
        var heartbeats = harness.Server.V2.Heartbeats;
        Assert.Equal(2, heartbeats.Count);
        Assert.Null(heartbeats[0].FullState);
        Assert.NotNull(heartbeats[1].FullState);
        foreach (var heartbeat in heartbeats)
        {
            Assert.Equal("exec-1", heartbeat.ExecutorId);
            Assert.Equal("a-1", Assert.Single(heartbeat.AllocationOutcomes).Completed.AllocationId);
            Assert.Equal("c-1", Assert.Single(heartbeat.CommandResponses).ContainerStarted.ContainerId);
        }

        var full = heartbeats[1].FullState;
        Assert.Equal("host", full.Hostname);
        Assert.Equal(4U, full.TotalContainerResources.CpuCount);
        Assert.Equal("linux", full.Labels["os"]);
        var container = Assert.Single(full.ContainerStates);
        Assert.Equal(Container("c-1").ToByteString(), container.Description.ToByteString());
        Assert.Equal(ProtoV2.ContainerStatus.Running, container.Status);

        // Delivered: the next heartbeat is plain and carries nothing again.
        await harness.V2.ReportAsync(Report([Running("c-1")]), AdapterHarness.Timeout());
        var third = harness.Server.V2.Heartbeats[2];
        Assert.Null(third.FullState);
        Assert.Empty(third.CommandResponses);
        Assert.Empty(third.AllocationOutcomes);
    }

    [Fact]
    public async Task AfterInternalTheWholeBatchIsOfferedAgainAndAMalformedOutcomeIsQuarantined()
    {
        await using var harness = await AdapterHarness.StartAsync();
        await RegisterAsync(harness);
        var failures = 1;
        harness.Server.V2.Intercept = _ => Interlocked.Decrement(ref failures) >= 0 ? new RpcException(new Status(StatusCode.Internal, "heartbeat ingestion failed for 1 report item(s)")) : null;
        var malformed = Success("bad") with { Value = null, Updates = new CallGraph { RootFunctionCallId = "" } };
        var report = Report([Running("c-1")], [Success("a-1"), malformed]);

        var error = await Assert.ThrowsAsync<ServerRpcException>(() => harness.V2.ReportAsync(report, AdapterHarness.Timeout()));
        Assert.IsNotType<ServerUnreachableException>(error);
        var receipt = await harness.V2.ReportAsync(report, AdapterHarness.Timeout());

        Assert.Equal(["a-1", "bad"], receipt.DeliveredResultIds);
        var heartbeats = harness.Server.V2.Heartbeats.Skip(2).ToList();
        Assert.Equal(2, heartbeats.Count);
        Assert.Equal(heartbeats[0].AllocationOutcomes, heartbeats[1].AllocationOutcomes);
        Assert.Equal(heartbeats[0].CommandResponses, heartbeats[1].CommandResponses);
        var quarantined = heartbeats[1].AllocationOutcomes[1].Failed;
        Assert.Equal("bad", quarantined.AllocationId);
        Assert.Equal(ProtoV2.AllocationFailureReason.InternalError, quarantined.Reason);
        Assert.Equal("call-bad", quarantined.FunctionCallId);
    }

    [Fact]
    public async Task AFailedFullStateIsSentAgainAndPollsStayStoppedUntilOneIsAccepted()
    {
        await using var harness = await AdapterHarness.StartAsync();
        harness.Server.V2.Intercept = request => request.FullState is not null && harness.Server.V2.Heartbeats.Count(h => h.FullState is not null) == 1
            ? new RpcException(new Status(StatusCode.Internal, "applied, then failed"))
            : null;

        await Assert.ThrowsAsync<ServerRpcException>(() => harness.V2.ReportAsync(Report(), AdapterHarness.Timeout()));

        // No registration accepted yet: a read has nothing to poll under and ends at once.
        await using (var reader = SnapshotReader.Start(harness.V2))
        {
            await Eventually.TrueAsync(() => reader.Ended, Patience, "read ends without a registration");
            Assert.Null(reader.Error);
        }

        Assert.Empty(harness.Server.V2.CommandPolls);

        await harness.V2.ReportAsync(Report(), AdapterHarness.Timeout());
        var heartbeats = harness.Server.V2.Heartbeats;
        Assert.Equal(3, heartbeats.Count);
        Assert.NotNull(heartbeats[2].FullState);
    }

    [Fact]
    public async Task CommandsBecomeSnapshotsAndAcksNameOnlyAppliedCommandsNeverOnTheFirstPoll()
    {
        await using var harness = await AdapterHarness.StartAsync();
        await RegisterAsync(harness);
        await using var reader = SnapshotReader.Start(harness.V2);

        harness.Server.V2.Send(Add(0, "c-1"), Run(0, "a-1", "c-1"));
        var state = await Eventually.UntilNotNullAsync(() => reader.Latest is { Allocations.Count: 1 } s ? s : null, Patience, "snapshot with the allocation");
        Assert.Equal(["c-1"], state.FunctionExecutors.Select(f => f.Id));
        Assert.Equal("a-1", state.Allocations[0].AllocationId);

        await Eventually.TrueAsync(() => harness.Server.V2.CommandPolls.Any(p => p.HasAckedCommandSeq), Patience, "an ack");
        var polls = harness.Server.V2.CommandPolls;
        Assert.False(polls[0].HasAckedCommandSeq);
        Assert.Equal(2UL, polls.First(p => p.HasAckedCommandSeq).AckedCommandSeq);

        // The AllocationScheduled answer is owed but rides the next heartbeat: the Server only logs it.
        Assert.Equal(0, harness.Trigger.Requests);
        await harness.V2.ReportAsync(Report(), AdapterHarness.Timeout());
        var scheduled = Assert.Single(harness.Server.V2.Heartbeats[^1].CommandResponses);
        Assert.Equal(2UL, scheduled.CommandSeq);
        Assert.Equal("a-1", scheduled.AllocationScheduled.AllocationId);
    }

    [Fact]
    public async Task ReregistrationEndsTheReadAndPollsRestartWithoutAnAck()
    {
        await using var harness = await AdapterHarness.StartAsync();
        await RegisterAsync(harness);
        var reader = SnapshotReader.Start(harness.V2);
        harness.Server.V2.Send(Add(0, "c-1"));
        await Eventually.TrueAsync(() => harness.Server.V2.CommandPolls.Any(p => p.HasAckedCommandSeq), Patience, "an ack");

        harness.Server.V2.AskForState = true;
        await harness.V2.ReportAsync(Report(), AdapterHarness.Timeout());
        Assert.NotNull(harness.Server.V2.Heartbeats[^1].FullState);
        await Eventually.TrueAsync(() => reader.Ended, Patience, "the read ends with the re-registration");
        Assert.Null(reader.Error);
        await reader.DisposeAsync();

        var pollsBefore = harness.Server.V2.CommandPolls.Count;
        await using var reopened = SnapshotReader.Start(harness.V2);
        await Eventually.TrueAsync(() => harness.Server.V2.CommandPolls.Count > pollsBefore, Patience, "polls again");
        Assert.False(harness.Server.V2.CommandPolls[pollsBefore].HasAckedCommandSeq);
        Assert.False(harness.Server.V2.ResultPolls[^1].HasAckedResultSeq);

        // What was applied before survives the re-sync.
        var state = await Eventually.UntilNotNullAsync(() => reopened.Latest, Patience, "current snapshot");
        Assert.Equal(["c-1"], state.FunctionExecutors.Select(f => f.Id));
    }

    [Fact]
    public async Task APollAnsweredNotFoundAsksForARegistrationAndTheNextHeartbeatSendsFullState()
    {
        await using var harness = await AdapterHarness.StartAsync();
        await RegisterAsync(harness);
        await using var reader = SnapshotReader.Start(harness.V2);
        await Eventually.TrueAsync(() => harness.Server.V2.CommandPolls.Count > 0, Patience, "polling");

        harness.Server.V2.Forget();
        await Eventually.TrueAsync(() => reader.Ended, Patience, "the read fails");
        Assert.IsType<ExecutorNotRegisteredException>(reader.Error);

        await harness.V2.ReportAsync(Report(), AdapterHarness.Timeout());
        Assert.NotNull(harness.Server.V2.Heartbeats[^1].FullState);
        Assert.True(harness.Server.V2.Registered);
    }

    [Fact]
    public async Task ACommandGapIsRepairedByAFullResync()
    {
        await using var harness = await AdapterHarness.StartAsync();
        await RegisterAsync(harness);
        await using var reader = SnapshotReader.Start(harness.V2);
        harness.Server.V2.SendAsNumbered(Add(3, "c-3"));
        await Eventually.TrueAsync(() => harness.Trigger.Requests > 0 && reader.Ended, Patience, "gap seen, read ended, heartbeat asked for");
        Assert.Null(reader.Error);

        await harness.V2.ReportAsync(Report(), AdapterHarness.Timeout());
        Assert.NotNull(harness.Server.V2.Heartbeats[^1].FullState);
    }

    [Fact]
    public async Task ResultsReachTheSnapshotOfTheirParent()
    {
        await using var harness = await AdapterHarness.StartAsync();
        await RegisterAsync(harness);
        await using var reader = SnapshotReader.Start(harness.V2);
        harness.Server.V2.Send(Add(0, "c-1"), Run(0, "parent", "c-1"));
        await Eventually.TrueAsync(() => reader.Latest is { Allocations.Count: 1 }, Patience, "parent arrived");

        harness.Server.V2.SendResult(Result(0, "parent", "child-1"));
        var state = await Eventually.UntilNotNullAsync(() => reader.Latest is { FunctionCallResults.Count: 1 } s ? s : null, Patience, "result arrived");
        Assert.Equal("ns.req.child-1", state.FunctionCallResults[0].ResultKey);
        await Eventually.TrueAsync(() => harness.Server.V2.ResultPolls.Any(p => p.HasAckedResultSeq && p.AckedResultSeq == 1), Patience, "result acked");
    }

    [Fact]
    public async Task CallFunctionCompletesOnAnAcceptedHeartbeatAndARetryJoinsTheFirstCall()
    {
        await using var harness = await AdapterHarness.StartAsync();
        await RegisterAsync(harness);
        var failing = true;
        harness.Server.V2.Intercept = _ => Volatile.Read(ref failing) ? new RpcException(new Status(StatusCode.Unavailable, "overloaded")) : null;
        harness.Trigger.OnRequest = () => _ = Task.Run(async () =>
        {
            try
            {
                await harness.V2.ReportAsync(Report(), AdapterHarness.Timeout());
            }
            catch (ServerRpcException)
            {
                // The grain backs off; the test's next trigger retries.
            }
        });

        var timedOut = await Assert.ThrowsAsync<ServerRpcException>(() => harness.V2.CallFunctionAsync(Call("parent", "root-1"), TimeSpan.FromMilliseconds(300), AdapterHarness.Timeout()));
        Assert.True(timedOut.Retriable);

        Volatile.Write(ref failing, false);
        await harness.V2.CallFunctionAsync(Call("parent", "root-1"), Patience, AdapterHarness.Timeout());
        await harness.V2.CallFunctionAsync(Call("parent", "root-1"), Patience, AdapterHarness.Timeout());

        var carrying = harness.Server.V2.Heartbeats.Where(h => h.AllocationLogEntries.Count > 0).ToList();
        Assert.All(carrying, h => Assert.Single(h.AllocationLogEntries));
        var entry = carrying[^1].AllocationLogEntries[0];
        Assert.Equal("parent", entry.AllocationId);
        Assert.Equal("root-1", entry.CallFunction.Updates.RootFunctionCallId);

        // Accepted: later heartbeats do not carry it again.
        await harness.V2.ReportAsync(Report(), AdapterHarness.Timeout());
        Assert.Empty(harness.Server.V2.Heartbeats[^1].AllocationLogEntries);
    }

    [Fact]
    public async Task ACallWhoseCallersAllGaveUpIsNotOfferedAgainUntilItIsRetried()
    {
        await using var harness = await AdapterHarness.StartAsync();
        await RegisterAsync(harness);
        var failing = true;
        harness.Server.V2.Intercept = _ => Volatile.Read(ref failing) ? new RpcException(new Status(StatusCode.Unavailable, "overloaded")) : null;

        // A call is offered while a caller waits for it, through failed heartbeats.
        using var cancel = new CancellationTokenSource();
        var waiting = harness.V2.CallFunctionAsync(Call("parent", "root-1"), Patience, cancel.Token);
        await Assert.ThrowsAsync<ServerRpcException>(() => harness.V2.ReportAsync(Report(), AdapterHarness.Timeout()));
        Assert.Single(harness.Server.V2.Heartbeats[^1].AllocationLogEntries);

        // A second caller of the same call times out: the first still waits, so it is still offered.
        Assert.True((await Assert.ThrowsAsync<ServerRpcException>(() => harness.V2.CallFunctionAsync(Call("parent", "root-1"), TimeSpan.FromMilliseconds(200), AdapterHarness.Timeout()))).Retriable);
        await Assert.ThrowsAsync<ServerRpcException>(() => harness.V2.ReportAsync(Report(), AdapterHarness.Timeout()));
        Assert.Single(harness.Server.V2.Heartbeats[^1].AllocationLogEntries);

        // Then the first is cancelled, and another call's only caller times out. Each was told its call did not start
        // (the FE hears it failed), so neither may start later.
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        await Assert.ThrowsAsync<ServerRpcException>(() => harness.V2.CallFunctionAsync(Call("parent", "root-2"), TimeSpan.FromMilliseconds(200), AdapterHarness.Timeout()));
        Volatile.Write(ref failing, false);
        await harness.V2.ReportAsync(Report(), AdapterHarness.Timeout());
        Assert.Empty(harness.Server.V2.Heartbeats[^1].AllocationLogEntries);

        // A retry offers it again and completes once the Server took it.
        var retry = harness.V2.CallFunctionAsync(Call("parent", "root-1"), Patience, AdapterHarness.Timeout());
        await harness.V2.ReportAsync(Report(), AdapterHarness.Timeout());
        await retry;
        Assert.Equal("root-1", Assert.Single(harness.Server.V2.Heartbeats[^1].AllocationLogEntries).CallFunction.Updates.RootFunctionCallId);
    }

    [Fact]
    public async Task AMalformedCallIsRefusedAtOnceAndNeverQueued()
    {
        await using var harness = await AdapterHarness.StartAsync();
        var call = Call("parent", "root-1") with { Updates = Call("parent", "root-1").Updates with { RootFunctionCallId = "" } };
        var error = await Assert.ThrowsAsync<ServerRpcException>(() => harness.V2.CallFunctionAsync(call, Patience, AdapterHarness.Timeout()));
        Assert.False(error.Retriable);
        Assert.Equal(0, harness.Trigger.Requests);
    }

    [Fact]
    public async Task StoppedGoesInTheLastHeartbeatAfterEveryPendingOutcome()
    {
        await using var harness = await AdapterHarness.StartAsync(configure: o => o.MaxHeartbeatBytes = 2 * 1024 * 1024);
        await RegisterAsync(harness);
        var results = Enumerable.Range(0, 6).Select(i => Success("a-" + i, valueBytes: 600 * 1024)).ToList();

        var receipt = await harness.V2.ReportAsync(Report(results: results, status: ExecutorStatus.Stopped), AdapterHarness.Timeout());

        Assert.Equal(results.Select(r => r.AllocationId), receipt.DeliveredResultIds);
        var heartbeats = harness.Server.V2.Heartbeats.Skip(2).ToList();
        Assert.True(heartbeats.Count > 1);
        Assert.All(heartbeats[..^1], h => Assert.Equal(ProtoV2.ExecutorStatus.Running, h.Status));
        Assert.Equal(ProtoV2.ExecutorStatus.Stopped, heartbeats[^1].Status);
        Assert.All(heartbeats, h => Assert.True(h.CalculateSize() < 2 * 1024 * 1024));
    }

    [Fact]
    public async Task ContainerIdGoesOnlyOnFailuresOfAContainerThatIsGoneAndNeverOnTimeouts()
    {
        await using var harness = await AdapterHarness.StartAsync();
        await RegisterAsync(harness);
        var terminated = new FunctionExecutorState { FunctionExecutorId = "c-dead", Status = FunctionExecutorStatus.Terminated, TerminationReason = FunctionExecutorTerminationReason.StartupFailedFunctionError };
        var report = Report(
            [Running("c-live"), terminated with { Status = FunctionExecutorStatus.Pending, TerminationReason = null }],
            [
                Failure("queued-on-dead", AllocationFailureReason.StartupFailedFunctionError, "c-dead"),
                Failure("timeout-on-dead", AllocationFailureReason.FunctionTimeout, "c-dead"),
                Failure("on-removed", AllocationFailureReason.FunctionExecutorTerminated, "c-removed"),
                Failure("on-live", AllocationFailureReason.FunctionExecutorTerminated, "c-live"),
            ]) with { TerminationsHeldBack = [terminated] };

        await harness.V2.ReportAsync(report, AdapterHarness.Timeout());

        var failed = harness.Server.V2.Heartbeats[^1].AllocationOutcomes.ToDictionary(o => o.Failed.AllocationId, o => o.Failed);
        Assert.Equal("c-dead", failed["queued-on-dead"].ContainerId);
        Assert.False(failed["timeout-on-dead"].HasContainerId);
        Assert.Equal("c-removed", failed["on-removed"].ContainerId);
        Assert.False(failed["on-live"].HasContainerId);

        // The held-back termination is real for v2: ContainerTerminated goes out with its mapped reason.
        var lifecycle = harness.Server.V2.Heartbeats[^1].CommandResponses.Where(r => r.ContainerTerminated is not null).ToList();
        Assert.Equal(ProtoV2.ContainerTerminationReason.StartupFailedFunctionError, Assert.Single(lifecycle).ContainerTerminated.Reason);
    }

    [Fact]
    public async Task ASnapshotRequestIsAnsweredSnapshotFailed()
    {
        await using var harness = await AdapterHarness.StartAsync();
        await RegisterAsync(harness);
        await using var reader = SnapshotReader.Start(harness.V2);
        harness.Server.V2.Send(Add(0, "c-1"), new ProtoV2.Command { SnapshotContainer = new ProtoV2.SnapshotContainer { ContainerId = "c-1", SnapshotId = "snap", UploadUri = "s3://b/k" } });
        await Eventually.TrueAsync(() => harness.Server.V2.CommandPolls.Any(p => p.AckedCommandSeq == 2), Patience, "both acked");
        // Unlike AllocationScheduled, a snapshot answer is something the Server acts on: a heartbeat is asked for at once.
        Assert.True(harness.Trigger.Requests > 0);

        await harness.V2.ReportAsync(Report(), AdapterHarness.Timeout());
        var failed = harness.Server.V2.Heartbeats[^1].CommandResponses.Single(r => r.SnapshotFailed is not null).SnapshotFailed;
        Assert.Equal("snap", failed.SnapshotId);
        Assert.Contains("not supported", failed.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StateDescriptionsShowTheLastHeartbeatAndTheLedger()
    {
        await using var harness = await AdapterHarness.StartAsync();
        Assert.Null(harness.V2.DescribeLastReport(json: false));
        Assert.Null(harness.V2.DescribeLastDesiredState(json: false));
        await RegisterAsync(harness);
        await using var reader = SnapshotReader.Start(harness.V2);
        harness.Server.V2.Send(Add(0, "c-1"), Run(0, "a-1", "c-1"));
        await Eventually.TrueAsync(() => reader.Latest is { Allocations.Count: 1 }, Patience, "applied");

        Assert.Contains("executor_id: \"exec-1\"", harness.V2.DescribeLastReport(json: false), StringComparison.Ordinal);
        Assert.Contains("\"executorId\": \"exec-1\"", harness.V2.DescribeLastReport(json: true), StringComparison.Ordinal);
        var text = harness.V2.DescribeLastDesiredState(json: false)!;
        Assert.Contains("last_command_seq: 2", text, StringComparison.Ordinal);
        Assert.Contains("container {", text, StringComparison.Ordinal);
        Assert.Contains("allocation_id: \"a-1\"", text, StringComparison.Ordinal);
        using var json = System.Text.Json.JsonDocument.Parse(harness.V2.DescribeLastDesiredState(json: true)!);
        Assert.Equal(2, json.RootElement.GetProperty("lastCommandSeq").GetInt32());
        Assert.Equal("a-1", json.RootElement.GetProperty("allocations")[0].GetProperty("allocation").GetProperty("allocationId").GetString());
    }

    [Fact]
    public async Task AHeartbeatAnsweredUnimplementedMeansAV1Server()
    {
        await using var harness = await AdapterHarness.StartAsync(v1: true, v2: false);
        var error = await Assert.ThrowsAsync<ServerProtocolMismatchException>(() => harness.V2.ReportAsync(Report(), AdapterHarness.Timeout()));
        Assert.Equal(ServerProtocol.V2, error.Attempted);
    }
}

using Executor.Protocol.ServerV2;
using FakeIndexifyServer.Tests.Infrastructure;
using Grpc.Core;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using V1 = Executor.Protocol.ServerV1;

namespace FakeIndexifyServer.Tests;

/// <summary>v2 liveness: STOPPED, lapses, what refreshes the deadline, and heartbeat fault injection.</summary>
public sealed class V2LivenessTests
{
    [Fact]
    public async Task A_stopped_heartbeat_applies_its_outcomes_then_deregisters_inside_the_rpc()
    {
        await using var harness = await Harness.StartV2Async();
        await harness.RegisterV2Async("exec-1");
        var server = harness.Server;
        var fe = server.AddFunctionExecutor("exec-1", server.NewFunctionExecutor("ns", "app", "fn", maxConcurrency: 2));
        var finished = server.AddAllocation(server.NewAllocation(fe));
        var abandoned = server.AddAllocation(server.NewAllocation(fe));
        await harness.PollCommandsAsync("exec-1");
        await harness.PollCommandsAsync("exec-1", ack: 3); // returns at once (stored wake-up)
        var held = harness.PollCommandsAsync("exec-1", ack: 3);
        await server.WaitUntilAsync(s => s.HeldPollCount == 1, because: "the poll is held");

        var stopping = V2Messages.Heartbeat("exec-1", ExecutorStatus.Stopped);
        stopping.AllocationOutcomes.Add(V2Messages.Completed(finished));
        Assert.False((await harness.HeartbeatAsync(stopping)).SendState);

        // Deregistered by the time the RPC answered.
        Assert.Equal(DeregistrationCause.Stopped, Assert.Single(server.Deregistrations).Cause);
        Assert.NotNull(server.GetAcceptedResult(finished.AllocationId));
        Assert.Equal(V1.AllocationFailureReason.ExecutorRemoved, Assert.Single(server.ServerFailures).Reason);
        Assert.Equal(abandoned.AllocationId, server.ServerFailures[0].AllocationId);
        Assert.Empty(await held.WaitAsync(Harness.Patience)); // woken by the deregistration
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() => harness.PollCommandsAsync("exec-1"))).StatusCode);
        Assert.True((await harness.HeartbeatAsync(V2Messages.Heartbeat("exec-1"))).SendState);
    }

    [Fact]
    public async Task An_executor_lapses_after_its_last_heartbeat_or_poll_and_then_registers_afresh()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var harness = await Harness.StartAsync(new FakeServerOptions { Protocol = ServerProtocol.V2, TimeProvider = time, LivenessCheckInterval = TimeSpan.FromSeconds(1) });
        await harness.RegisterV2Async("exec-1");
        var server = harness.Server;
        var fe = server.AddFunctionExecutor("exec-1", server.NewFunctionExecutor("ns", "app", "fn"));
        var allocation = server.AddAllocation(server.NewAllocation(fe));

        time.Advance(TimeSpan.FromSeconds(20));
        await harness.PollCommandsAsync("exec-1"); // answered at once; its arrival counts as a sign of life
        time.Advance(TimeSpan.FromSeconds(25));
        Assert.True(server.GetExecutor("exec-1")!.IsRegistered);

        time.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(DeregistrationCause.LivenessLapsed, (await server.WaitForDeregistrationAsync("exec-1")).Cause);
        Assert.Equal(V1.AllocationFailureReason.ExecutorRemoved, (await server.WaitForServerFailureAsync(allocation.AllocationId)).Reason);
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() => harness.PollCommandsAsync("exec-1"))).StatusCode);

        // The next contact is unknown again; its registration is a first one, with an empty full batch.
        var before = server.LastSequence;
        await harness.RegisterV2Async("exec-1");
        Assert.Equal(2, server.GetExecutor("exec-1")!.RegistrationCount);
        Assert.DoesNotContain(server.IssuedCommands, c => c.Sequence > before);
    }

    [Fact]
    public async Task A_heartbeat_from_an_unknown_id_still_counts_as_a_sign_of_life_and_a_failed_one_too()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var harness = await Harness.StartAsync(new FakeServerOptions { Protocol = ServerProtocol.V2, TimeProvider = time, LivenessCheckInterval = TimeSpan.FromSeconds(1) });
        await harness.RegisterV2Async("exec-1");
        var poison = V2Messages.Heartbeat("exec-1");
        poison.AllocationLogEntries.Add(new AllocationLogEntry
        {
            AllocationId = "a",
            CallFunction = new FunctionCallRequest { Namespace = "ns", Application = "app", RequestId = "r", SourceFunctionCallId = "s", Updates = new ExecutionPlanUpdates { Updates = { new ExecutionPlanUpdate() } } },
        });

        time.Advance(TimeSpan.FromSeconds(25));
        Assert.Equal(StatusCode.Internal, (await Assert.ThrowsAsync<RpcException>(() => harness.HeartbeatAsync(poison))).StatusCode); // "op is required" is no malformation
        time.Advance(TimeSpan.FromSeconds(25));

        Assert.True(harness.Server.GetExecutor("exec-1")!.IsRegistered);
        Assert.Empty(harness.Server.Deregistrations);
    }

    [Fact]
    public async Task Held_polls_end_like_streams_when_the_test_ends_them_or_the_server_restarts()
    {
        await using var harness = await Harness.StartV2Async();
        await harness.RegisterV2Async("exec-1");
        var server = harness.Server;

        var ended = harness.PollCommandsAsync("exec-1");
        await server.WaitUntilAsync(s => s.HeldPollCount == 1, because: "the first poll is held");
        server.EndStreams("exec-1", StatusCode.Internal, "scripted");
        Assert.Equal(StatusCode.Internal, (await Assert.ThrowsAsync<RpcException>(() => ended.WaitAsync(Harness.Patience))).StatusCode);

        var broken = harness.PollResultsAsync("exec-1");
        await server.WaitUntilAsync(s => s.HeldPollCount == 1, because: "the second poll is held");
        await server.SimulateRestartAsync();
        Assert.Equal(StatusCode.Unavailable, (await Assert.ThrowsAsync<RpcException>(() => broken.WaitAsync(Harness.Patience))).StatusCode);

        // The restarted server knows nobody: polls are refused and the next heartbeat asks for the state.
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() => harness.PollCommandsAsync("exec-1"))).StatusCode);
        Assert.True((await harness.HeartbeatAsync(V2Messages.Heartbeat("exec-1"))).SendState);
    }

    [Fact]
    public async Task Heartbeat_faults_are_injected_like_report_faults()
    {
        await using var harness = await Harness.StartV2Async();
        await harness.RegisterV2Async("exec-1");
        var server = harness.Server;
        var allocation = server.AddAllocation(server.NewAllocation(server.AddFunctionExecutor("exec-1", server.NewFunctionExecutor("ns", "app", "fn"))));
        var heartbeat = V2Messages.Heartbeat("exec-1");
        heartbeat.AllocationOutcomes.Add(V2Messages.Completed(allocation));

        server.FailNextReports(1, StatusCode.Unavailable);
        Assert.Equal(StatusCode.Unavailable, (await Assert.ThrowsAsync<RpcException>(() => harness.HeartbeatAsync(heartbeat))).StatusCode);
        Assert.Null(server.GetAcceptedResult(allocation.AllocationId));

        server.DropConnectionOnNextReports(1);
        Assert.Equal(StatusCode.Unavailable, (await Assert.ThrowsAsync<RpcException>(() => harness.HeartbeatAsync(heartbeat))).StatusCode);
        Assert.Null(server.GetAcceptedResult(allocation.AllocationId));

        server.DelayNextReports(1, TimeSpan.FromMilliseconds(100));
        await harness.HeartbeatAsync(heartbeat);
        Assert.NotNull(server.GetAcceptedResult(allocation.AllocationId));
        Assert.Equal(
            [StatusCode.Unavailable, StatusCode.Unavailable, StatusCode.OK],
            server.Heartbeats.Skip(2).Select(h => h.ReplyStatus));
        Assert.Equal(2, server.GetReportStats(allocation.AllocationId).TimesInRejectedReports);
    }
}

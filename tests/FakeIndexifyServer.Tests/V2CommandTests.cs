using Executor.Protocol.ServerV2;
using FakeIndexifyServer.Tests.Infrastructure;
using Google.Protobuf;
using Xunit;
using V1 = Executor.Protocol.ServerV1;

namespace FakeIndexifyServer.Tests;

/// <summary>v2 commands: numbering, acknowledgement, re-delivery, long polls, batch order and size, and how changes become commands.</summary>
public sealed class V2CommandTests
{
    private static FakeServerOptions ShortHold => new() { Protocol = ServerProtocol.V2, PollHoldTimeout = TimeSpan.FromMilliseconds(200) };

    [Fact]
    public async Task Commands_are_numbered_from_1_without_gaps_and_redelivered_until_acknowledged()
    {
        await using var harness = await Harness.StartV2Async();
        await harness.RegisterV2Async("exec-1");
        var server = harness.Server;
        var fe = server.AddFunctionExecutor("exec-1", server.NewFunctionExecutor("ns", "app", "fn", maxConcurrency: 2));
        var first = server.AddAllocation(server.NewAllocation(fe));
        var second = server.AddAllocation(server.NewAllocation(fe));

        var delivered = await harness.PollCommandsAsync("exec-1");
        Assert.Equal([1ul, 2ul, 3ul], delivered.Select(c => c.Seq));
        Assert.Equal(fe.Id, delivered[0].AddContainer.Container.Id);
        Assert.Equal((first.AllocationId, fe.Id), (delivered[1].RunAllocation.Allocation.AllocationId, delivered[1].RunAllocation.Allocation.ContainerId));
        Assert.False(delivered[1].RunAllocation.Allocation.Function.HasApplicationVersion);
        Assert.Equal(second.AllocationId, delivered[2].RunAllocation.Allocation.AllocationId);

        // Not acknowledged: everything again. Acknowledged up to 2: only the rest.
        Assert.Equal([1ul, 2ul, 3ul], (await harness.PollCommandsAsync("exec-1")).Select(c => c.Seq));
        Assert.Equal([3ul], (await harness.PollCommandsAsync("exec-1", ack: 2)).Select(c => c.Seq));

        // New work continues the numbering.
        var other = server.AddFunctionExecutor("exec-1", server.NewFunctionExecutor("ns", "app", "other"));
        var next = Assert.Single(await harness.PollCommandsAsync("exec-1", ack: 3));
        Assert.Equal((4ul, other.Id), (next.Seq, next.AddContainer.Container.Id));
        var outbox = server.GetOutbox("exec-1")!;
        Assert.Equal((4ul, 3ul, 1), (outbox.LastCommandSeq, outbox.AckedCommandSeq, outbox.PendingCommands.Count));
        Assert.Equal([null, null, 2ul, 3ul], server.Polls.Select(p => p.Ack));
    }

    [Fact]
    public async Task An_ack_regression_makes_the_next_heartbeat_ask_for_the_full_state()
    {
        await using var harness = await Harness.StartAsync(ShortHold);
        await harness.RegisterV2Async("exec-1");
        var fe = harness.Server.AddFunctionExecutor("exec-1", harness.Server.NewFunctionExecutor("ns", "app", "fn"));
        await harness.PollCommandsAsync("exec-1");
        await harness.PollCommandsAsync("exec-1", ack: 1);
        Assert.False((await harness.HeartbeatAsync(V2Messages.Heartbeat("exec-1"))).SendState);

        // A restarted executor polls without an ack, which counts as 0: below the kept 1.
        Assert.Empty(await harness.PollCommandsAsync("exec-1"));
        Assert.True(harness.Server.GetOutbox("exec-1")!.AckRegressed);
        Assert.Equal(1ul, harness.Server.GetOutbox("exec-1")!.AckedCommandSeq); // max(old, new) is kept

        Assert.True((await harness.HeartbeatAsync(V2Messages.Heartbeat("exec-1"))).SendState);
        var before = harness.Server.LastSequence;
        Assert.False((await harness.HeartbeatAsync(V2Messages.FullState("exec-1"))).SendState);

        var batch = Assert.Single(harness.Server.IssuedCommands, c => c.Sequence > before);
        Assert.Equal((1ul, true, fe.Id), (batch.Seq, batch.InFullBatch, batch.Command.AddContainer.Container.Id));
        Assert.False(harness.Server.GetOutbox("exec-1")!.AckRegressed);
    }

    [Fact]
    public async Task A_held_poll_wakes_as_soon_as_a_command_is_issued()
    {
        await using var harness = await Harness.StartV2Async(); // holds for the real 300 s
        await harness.RegisterV2Async("exec-1");

        var poll = harness.PollCommandsAsync("exec-1");
        await harness.Server.WaitUntilAsync(s => s.HeldPollCount == 1, because: "the poll is held");
        var fe = harness.Server.AddFunctionExecutor("exec-1", harness.Server.NewFunctionExecutor("ns", "app", "fn"));

        var command = Assert.Single(await poll.WaitAsync(Harness.Patience));
        Assert.Equal(fe.Id, command.AddContainer.Container.Id);
        Assert.True(harness.Server.Polls[^1].WasHeld);
    }

    [Fact]
    public async Task A_wake_up_stored_while_no_poll_waits_makes_the_next_empty_poll_return_at_once()
    {
        await using var harness = await Harness.StartV2Async(); // holds for the real 300 s
        await harness.RegisterV2Async("exec-1");
        harness.Server.AddFunctionExecutor("exec-1", harness.Server.NewFunctionExecutor("ns", "app", "fn"));
        Assert.Single(await harness.PollCommandsAsync("exec-1"));

        // Nothing is pending, yet the poll returns empty at once (a client just polls again)...
        Assert.Empty(await harness.PollCommandsAsync("exec-1", ack: 1).WaitAsync(Harness.Patience));
        Assert.False(harness.Server.Polls[^1].WasHeld);

        // ...and only the one after it is held.
        var held = harness.PollCommandsAsync("exec-1", ack: 1);
        await harness.Server.WaitUntilAsync(s => s.HeldPollCount == 1, because: "the second poll is held");
        harness.Server.AddFunctionExecutor("exec-1", harness.Server.NewFunctionExecutor("ns", "app", "other"));
        Assert.Equal(2ul, Assert.Single(await held.WaitAsync(Harness.Patience)).Seq);
    }

    [Fact]
    public async Task An_empty_poll_answers_an_empty_list_when_its_hold_ends()
    {
        await using var harness = await Harness.StartAsync(ShortHold);
        await harness.RegisterV2Async("exec-1");

        Assert.Empty(await harness.PollCommandsAsync("exec-1"));
        Assert.Empty(await harness.PollResultsAsync("exec-1"));

        Assert.All(harness.Server.Polls, poll => Assert.True(poll.WasHeld && poll.Succeeded && poll.DeliveredSeqs.Count == 0));
    }

    [Fact]
    public async Task A_poll_answer_stays_within_the_byte_cap_but_always_carries_one_command()
    {
        await using var harness = await Harness.StartAsync(new FakeServerOptions { Protocol = ServerProtocol.V2, MaxPollResponseBytes = 64 * 1024 });
        await harness.RegisterV2Async("exec-1");
        var server = harness.Server;
        var fe = server.AddFunctionExecutor("exec-1", server.NewFunctionExecutor("ns", "app", "fn", maxConcurrency: 3));
        for (var i = 0; i < 3; i++)
        {
            server.AddAllocation(server.NewAllocation(fe, functionCallMetadata: ByteString.CopyFrom(new byte[30 * 1024])));
        }

        Assert.Equal([1ul, 2ul, 3ul], (await harness.PollCommandsAsync("exec-1")).Select(c => c.Seq));
        Assert.Equal([4ul], (await harness.PollCommandsAsync("exec-1", ack: 3)).Select(c => c.Seq));

        var big = server.AddFunctionExecutor("exec-1", server.NewFunctionExecutor("ns", "app", "big"));
        server.AddAllocation(server.NewAllocation(big, functionCallMetadata: ByteString.CopyFrom(new byte[100 * 1024])));
        Assert.Equal([5ul], (await harness.PollCommandsAsync("exec-1", ack: 4)).Select(c => c.Seq));
        var oversized = Assert.Single(await harness.PollCommandsAsync("exec-1", ack: 5));
        Assert.True(oversized.CalculateSize() > 64 * 1024);
    }

    [Fact]
    public async Task One_change_becomes_removals_then_adds_then_allocations()
    {
        await using var harness = await Harness.StartV2Async();
        await harness.RegisterV2Async("exec-1");
        var server = harness.Server;
        var old = server.AddFunctionExecutor("exec-1", server.NewFunctionExecutor("ns", "app", "old"));
        var dropped = server.AddAllocation(server.NewAllocation(old));
        await harness.PollCommandsAsync("exec-1");

        var replacement = server.NewFunctionExecutor("ns", "app", "new");
        var placed = server.NewAllocation(replacement);
        var desired = new V1.DesiredExecutorState();
        desired.FunctionExecutors.Add(replacement);
        desired.Allocations.Add(placed);
        server.ReplaceDesiredState("exec-1", desired);

        var batch = await harness.PollCommandsAsync("exec-1", ack: 2);
        Assert.Equal(
            [(3ul, Command.CommandOneofCase.RemoveContainer), (4ul, Command.CommandOneofCase.AddContainer), (5ul, Command.CommandOneofCase.RunAllocation)],
            batch.Select(c => (c.Seq, c.CommandCase)));
        Assert.Equal((old.Id, replacement.Id, placed.AllocationId), (batch[0].RemoveContainer.ContainerId, batch[1].AddContainer.Container.Id, batch[2].RunAllocation.Allocation.AllocationId));
        Assert.Equal(V1.AllocationFailureReason.AllocationCancelled, (await server.WaitForServerFailureAsync(dropped.AllocationId)).Reason);
    }

    [Fact]
    public async Task A_cancelled_allocation_is_dropped_silently_unless_kill_allocation_is_asked_for()
    {
        await using var harness = await Harness.StartV2Async();
        await harness.RegisterV2Async("exec-1");
        var server = harness.Server;
        var fe = server.AddFunctionExecutor("exec-1", server.NewFunctionExecutor("ns", "app", "fn"));
        var silent = server.AddAllocation(server.NewAllocation(fe));

        server.CancelAllocation(silent.AllocationId);
        Assert.Equal(2, server.IssuedCommands.Count); // AddContainer, RunAllocation: nothing for the cancellation

        server.EmitKillAllocationOnCancel = true;
        var announced = server.AddAllocation(server.NewAllocation(fe));
        server.CancelAllocation(announced.AllocationId);

        Assert.Equal(
            [Command.CommandOneofCase.AddContainer, Command.CommandOneofCase.RunAllocation, Command.CommandOneofCase.RunAllocation, Command.CommandOneofCase.KillAllocation],
            server.IssuedCommands.Select(c => c.Command.CommandCase));
        Assert.Equal(announced.AllocationId, server.IssuedCommands[^1].Command.KillAllocation.AllocationId);
    }

    [Fact]
    public async Task A_terminated_container_is_removed_but_its_allocations_wait_for_their_own_outcomes()
    {
        await using var harness = await Harness.StartV2Async();
        await harness.RegisterV2Async("exec-1");
        var server = harness.Server;
        var fe = server.AddFunctionExecutor("exec-1", server.NewFunctionExecutor("ns", "app", "fn"));
        var allocation = server.AddAllocation(server.NewAllocation(fe));

        var started = V2Messages.Heartbeat("exec-1");
        started.CommandResponses.Add(V2Messages.Started(fe.Id));
        await harness.HeartbeatAsync(started);
        await server.WaitForFunctionExecutorStatusAsync(fe.Id, V1.FunctionExecutorStatus.Running);

        var crashed = V2Messages.Heartbeat("exec-1");
        crashed.CommandResponses.Add(V2Messages.Terminated(fe.Id, ContainerTerminationReason.ProcessCrash));
        await harness.HeartbeatAsync(crashed);

        var terminated = (await server.WaitForFunctionExecutorStatusAsync(fe.Id, V1.FunctionExecutorStatus.Terminated)).FunctionExecutorStates.Single();
        Assert.Equal(V1.FunctionExecutorTerminationReason.Unhealthy, terminated.TerminationReason); // PROCESS_CRASH has no v1 value
        Assert.Equal(fe.Function, terminated.Description.Function); // named by the description the fake placed
        Assert.Equal(fe.Id, server.IssuedCommands[^1].Command.RemoveContainer.ContainerId);
        Assert.Empty(server.ServerFailures); // lifecycle only: no outcome is derived from it
        Assert.Null(server.GetAcceptedResult(allocation.AllocationId));

        var failed = V2Messages.Heartbeat("exec-1");
        failed.AllocationOutcomes.Add(V2Messages.Failed(allocation, AllocationFailureReason.ContainerTerminated));
        await harness.HeartbeatAsync(failed);
        Assert.Equal(V1.AllocationFailureReason.FunctionExecutorTerminated, (await server.WaitForResultAsync(allocation.AllocationId)).FailureReason);
    }

    [Fact]
    public async Task An_allocation_failure_naming_its_container_removes_the_container()
    {
        await using var harness = await Harness.StartV2Async();
        await harness.RegisterV2Async("exec-1");
        var server = harness.Server;
        var fe = server.AddFunctionExecutor("exec-1", server.NewFunctionExecutor("ns", "app", "fn", maxConcurrency: 2));
        var timedOut = server.AddAllocation(server.NewAllocation(fe));
        var bystander = server.AddAllocation(server.NewAllocation(fe));

        var heartbeat = V2Messages.Heartbeat("exec-1");
        heartbeat.AllocationOutcomes.Add(V2Messages.Failed(timedOut, AllocationFailureReason.FunctionTimeout, containerId: fe.Id));
        await harness.HeartbeatAsync(heartbeat);

        Assert.Equal(V1.AllocationFailureReason.FunctionTimeout, server.GetAcceptedResult(timedOut.AllocationId)!.FailureReason);
        Assert.Equal(fe.Id, server.IssuedCommands[^1].Command.RemoveContainer.ContainerId);
        Assert.Null(server.GetAcceptedResult(bystander.AllocationId));
        Assert.Empty(server.ServerFailures);
    }

    [Fact]
    public async Task A_removed_fe_gets_remove_container_and_is_gone_once_reported_terminated()
    {
        await using var harness = await Harness.StartV2Async();
        await harness.RegisterV2Async("exec-1");
        var server = harness.Server;
        var fe = server.AddFunctionExecutor("exec-1", server.NewFunctionExecutor("ns", "app", "fn"));
        var started = V2Messages.Heartbeat("exec-1");
        started.CommandResponses.Add(V2Messages.Started(fe.Id));
        await harness.HeartbeatAsync(started);

        server.RemoveFunctionExecutor(fe.Id);
        Assert.Equal(fe.Id, server.IssuedCommands[^1].Command.RemoveContainer.ContainerId);
        Assert.Empty(server.ConfirmedGoneFunctionExecutorIds);

        var stopped = V2Messages.Heartbeat("exec-1");
        stopped.CommandResponses.Add(V2Messages.Terminated(fe.Id, ContainerTerminationReason.FunctionCancelled));
        await harness.HeartbeatAsync(stopped);
        await server.WaitForFunctionExecutorGoneAsync(fe.Id);
    }
}

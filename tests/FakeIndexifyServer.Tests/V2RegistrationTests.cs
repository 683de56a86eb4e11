using Executor.Protocol.ServerV2;
using FakeIndexifyServer.Tests.Infrastructure;
using Grpc.Core;
using Xunit;
using V1 = Executor.Protocol.ServerV1;

namespace FakeIndexifyServer.Tests;

/// <summary>v2 registration: send_state, full_state, the full batch, and what happens to reported containers.</summary>
public sealed class V2RegistrationTests
{
    [Fact]
    public async Task An_unknown_executor_is_asked_for_its_state_and_its_items_are_dropped_until_it_sends_it()
    {
        await using var harness = await Harness.StartV2Async();
        var server = harness.Server;
        var fe = server.AddFunctionExecutor("exec-1", server.NewFunctionExecutor("ns", "app", "fn", maxConcurrency: 2));
        var allocation = server.AddAllocation(server.NewAllocation(fe));
        var waiting = server.AddAllocation(server.NewAllocation(fe));
        var early = V2Messages.Heartbeat("exec-1");
        early.AllocationOutcomes.Add(V2Messages.Completed(allocation));

        Assert.True((await harness.HeartbeatAsync(early)).SendState);

        var dropped = Assert.Single(server.Heartbeats);
        Assert.True(dropped.ItemsDropped);
        Assert.False(server.Reports[^1].Succeeded);
        Assert.Null(server.GetAcceptedResult(allocation.AllocationId));
        Assert.Equal(1, server.GetReportStats(allocation.AllocationId).TimesInRejectedReports);
        Assert.False(server.GetExecutor("exec-1")!.IsRegistered);

        var registration = V2Messages.FullState("exec-1");
        registration.AllocationOutcomes.Add(V2Messages.Completed(allocation)); // the dropped items come again with the state
        Assert.False((await harness.HeartbeatAsync(registration)).SendState);

        var view = await server.WaitForRegisteredExecutorAsync("exec-1");
        Assert.Equal((1, "test-host", "0.2.0"), (view.RegistrationCount, view.State!.Hostname, view.State.Version));
        Assert.Equal(4u, view.State.TotalFunctionExecutorResources.CpuCount);
        Assert.True(server.Reports[^1].WasStateChange);
        Assert.Equal(V1.AllocationOutcomeCode.Success, server.GetAcceptedResult(allocation.AllocationId)!.OutcomeCode);

        // A first registration's full batch is empty; work placed before it arrives as ordinary commands (the
        // allocation that finished in the registering heartbeat is never sent).
        Assert.Equal(
            [(1ul, Command.CommandOneofCase.AddContainer, false), (2ul, Command.CommandOneofCase.RunAllocation, false)],
            server.IssuedCommands.Select(c => (c.Seq, c.Command.CommandCase, c.InFullBatch)));
        Assert.Equal(waiting.AllocationId, server.IssuedCommands[1].Command.RunAllocation.Allocation.AllocationId);
    }

    [Fact]
    public async Task Polls_are_not_found_until_a_full_state_registers_the_executor()
    {
        await using var harness = await Harness.StartAsync(new FakeServerOptions { Protocol = ServerProtocol.V2, PollHoldTimeout = TimeSpan.FromMilliseconds(100) });

        var commandsBefore = await Assert.ThrowsAsync<RpcException>(() => harness.PollCommandsAsync("exec-1"));
        var resultsBefore = await Assert.ThrowsAsync<RpcException>(() => harness.PollResultsAsync("exec-1"));
        await harness.HeartbeatAsync(V2Messages.Heartbeat("exec-1"));
        var afterPlainHeartbeat = await Assert.ThrowsAsync<RpcException>(() => harness.PollCommandsAsync("exec-1"));

        Assert.All([commandsBefore, resultsBefore, afterPlainHeartbeat], error => Assert.Equal(StatusCode.NotFound, error.StatusCode));

        await harness.HeartbeatAsync(V2Messages.FullState("exec-1"));
        Assert.Empty(await harness.PollCommandsAsync("exec-1"));
        Assert.Empty(await harness.PollResultsAsync("exec-1"));
        Assert.Equal(
            [StatusCode.NotFound, StatusCode.NotFound, StatusCode.NotFound, StatusCode.OK, StatusCode.OK],
            harness.Server.Polls.Select(p => p.ReplyStatus));
    }

    [Fact]
    public async Task A_heartbeat_without_executor_id_is_invalid_argument()
    {
        await using var harness = await Harness.StartV2Async();

        var error = await Assert.ThrowsAsync<RpcException>(() => harness.HeartbeatAsync(new HeartbeatRequest { Status = ExecutorStatus.Running }));

        Assert.Equal((StatusCode.InvalidArgument, "executor_id required"), (error.StatusCode, error.Status.Detail));
        Assert.Empty(harness.Server.Executors);
    }

    [Fact]
    public async Task Incomplete_container_resources_fail_the_full_state_and_leave_the_executor_unregistered()
    {
        await using var harness = await Harness.StartV2Async();
        var registration = V2Messages.FullState("exec-1");
        registration.FullState.TotalContainerResources.ClearDiskBytes();

        var error = await Assert.ThrowsAsync<RpcException>(() => harness.HeartbeatAsync(registration));

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.False(harness.Server.GetExecutor("exec-1")!.IsRegistered);
        registration.FullState.TotalContainerResources = null; // leaving them out is fine: zero resources
        await harness.HeartbeatAsync(registration);
        Assert.True(harness.Server.GetExecutor("exec-1")!.IsRegistered);
    }

    [Fact]
    public async Task Re_registration_while_known_restarts_at_seq_1_with_the_full_batch_then_reconciles()
    {
        await using var harness = await Harness.StartV2Async();
        await harness.RegisterV2Async("exec-1");
        var server = harness.Server;
        var kept = server.AddFunctionExecutor("exec-1", server.NewFunctionExecutor("ns", "app", "kept"));
        var crashed = server.AddFunctionExecutor("exec-1", server.NewFunctionExecutor("ns", "app", "crashed"));
        var allocation = server.AddAllocation(server.NewAllocation(kept));
        Assert.Equal([1ul, 2ul, 3ul], (await harness.PollCommandsAsync("exec-1")).Select(c => c.Seq));
        await harness.PollCommandsAsync("exec-1", ack: 3);
        var before = server.LastSequence;

        // The executor re-sends its state (e.g. it was asked to): one container running, one terminated.
        await harness.HeartbeatAsync(V2Messages.FullState(
            "exec-1",
            V2Messages.Container(kept, ContainerStatus.Running),
            V2Messages.Container(crashed, ContainerStatus.Terminated, ContainerTerminationReason.Oom)));

        var issued = server.IssuedCommands.Where(c => c.Sequence > before).ToList();
        Assert.Equal([1ul, 2ul, 3ul, 4ul], issued.Select(c => c.Seq));
        Assert.Equal([true, true, true, false], issued.Select(c => c.InFullBatch));
        Assert.Equal(new[] { kept.Id, crashed.Id }.Order(), issued.Take(2).Select(c => c.Command.AddContainer.Container.Id).Order());
        Assert.Equal(allocation.AllocationId, issued[2].Command.RunAllocation.Allocation.AllocationId);
        Assert.Equal(crashed.Id, issued[3].Command.RemoveContainer.ContainerId); // after the batch, from reconciliation
        Assert.Equal(0ul, server.GetOutbox("exec-1")!.AckedCommandSeq);
        Assert.Equal([1ul, 2ul, 3ul, 4ul], (await harness.PollCommandsAsync("exec-1")).Select(c => c.Seq));

        // The terminated container's reason is read by meaning (v2 OOM = 8 is v1 OOM = 16).
        Assert.Equal((V1.FunctionExecutorStatus.Terminated, V1.FunctionExecutorTerminationReason.Oom), (server.LastReportedStateOf(crashed.Id)!.Status, server.LastReportedStateOf(crashed.Id)!.TerminationReason));
        Assert.Equal(1, server.GetExecutor("exec-1")!.RegistrationCount);
    }

    [Fact]
    public async Task After_a_server_restart_running_containers_are_adopted_with_their_allocations_and_nothing_is_resent()
    {
        await using var harness = await Harness.StartV2Async();
        await harness.RegisterV2Async("exec-1");
        var server = harness.Server;
        var running = server.AddFunctionExecutor("exec-1", server.NewFunctionExecutor("ns", "app", "fn"));
        var allocation = server.AddAllocation(server.NewAllocation(running));
        var starting = server.NewFunctionExecutor("ns", "app", "other");
        var malformed = V2Messages.Container(server.NewFunctionExecutor("ns", "app", "bad"), ContainerStatus.Running);
        malformed.Description.Resources.ClearMemoryBytes();

        await server.SimulateRestartAsync();
        Assert.True((await harness.HeartbeatAsync(V2Messages.Heartbeat("exec-1"))).SendState);
        var before = server.LastSequence;
        await harness.HeartbeatAsync(V2Messages.FullState(
            "exec-1",
            V2Messages.Container(running, ContainerStatus.Running),
            V2Messages.Container(starting, ContainerStatus.Pending),
            malformed));

        // No full batch on a first registration; only the PENDING adoptee gets an AddContainer for its own id.
        var issued = server.IssuedCommands.Where(c => c.Sequence > before).ToList();
        var add = Assert.Single(issued);
        Assert.Equal((1ul, starting.Id), (add.Seq, add.Command.AddContainer.Container.Id));
        Assert.Equal(new[] { running.Id, starting.Id }.Order(), server.AdoptedFunctionExecutorIds.Order());
        Assert.Contains(server.Heartbeats[^1].SkippedItems, item => item.Contains("missing resources.memory_bytes", StringComparison.Ordinal));
        Assert.True(server.Heartbeats[^1].Succeeded);

        // The allocation on the adopted container lives on: its outcome is still taken.
        Assert.Empty(server.ServerFailures);
        var outcome = V2Messages.Heartbeat("exec-1");
        outcome.AllocationOutcomes.Add(V2Messages.Completed(allocation));
        await harness.HeartbeatAsync(outcome);
        Assert.NotNull(server.GetAcceptedResult(allocation.AllocationId));
    }

    [Fact]
    public async Task A_reported_container_the_server_does_not_adopt_is_removed()
    {
        await using var harness = await Harness.StartAsync(new FakeServerOptions { Protocol = ServerProtocol.V2, AdoptUntrackedFunctionExecutors = false });
        var stranger = harness.Server.NewFunctionExecutor("ns", "app", "fn");
        var ignored = harness.Server.NewFunctionExecutor("ns", "app", "gone");

        await harness.RegisterV2Async(
            "exec-1",
            V2Messages.Container(stranger, ContainerStatus.Running),
            V2Messages.Container(ignored, ContainerStatus.Terminated, ContainerTerminationReason.FunctionCancelled));

        var remove = Assert.Single(harness.Server.IssuedCommands);
        Assert.Equal(stranger.Id, remove.Command.RemoveContainer.ContainerId);
        Assert.False(remove.Command.RemoveContainer.HasReason);

        // Once the executor reports it stopped, it counts as gone.
        var stopped = V2Messages.Heartbeat("exec-1");
        stopped.CommandResponses.Add(V2Messages.Terminated(stranger.Id, ContainerTerminationReason.FunctionCancelled));
        await harness.HeartbeatAsync(stopped);
        await harness.Server.WaitForFunctionExecutorGoneAsync(stranger.Id);
    }
}

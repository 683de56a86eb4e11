using Executor.Protocol.ServerV2;
using FakeIndexifyServer.Tests.Infrastructure;
using Grpc.Core;
using Xunit;
using V1 = Executor.Protocol.ServerV1;

namespace FakeIndexifyServer.Tests;

/// <summary>v2 function calls: call_function log entries, result routes, and results pushed once through poll_allocation_results.</summary>
public sealed class V2FunctionCallTests
{
    [Fact]
    public async Task Log_entries_are_processed_before_outcomes_so_a_child_finishing_in_the_same_heartbeat_routes_its_result()
    {
        await using var harness = await Harness.StartV2Async();
        await harness.RegisterV2Async("exec-1");
        var server = harness.Server;
        var parent = server.AddAllocation(server.NewAllocation(server.AddFunctionExecutor("exec-1", server.NewFunctionExecutor("ns", "app", "parent"))));
        var child = server.AddAllocation(server.NewAllocation(server.AddFunctionExecutor("exec-1", server.NewFunctionExecutor("ns", "app", "child")), requestId: parent.RequestId));
        var value = V2Messages.Output(parent.RequestDataPayloadUriPrefix + "/child-out");

        var heartbeat = V2Messages.Heartbeat("exec-1");
        heartbeat.AllocationOutcomes.Add(V2Messages.Completed(child, value));
        heartbeat.AllocationLogEntries.Add(V2Messages.CallFunction(parent, child.FunctionCallId));
        await harness.HeartbeatAsync(heartbeat);

        var recorded = Assert.Single(server.FunctionCallRequests);
        Assert.True(recorded.Succeeded);
        Assert.Equal((parent.FunctionCallId, child.FunctionCallId), (recorded.Request.SourceFunctionCallId, recorded.Request.Updates.RootFunctionCallId));
        var delivered = Assert.Single(await harness.PollResultsAsync("exec-1"));
        Assert.Equal((1ul, parent.AllocationId, 0ul), (delivered.Seq, delivered.Entry.AllocationId, delivered.Entry.Clock));
        var result = delivered.Entry.FunctionCallResult;
        Assert.Equal(("ns", parent.RequestId, child.FunctionCallId), (result.Namespace, result.RequestId, result.FunctionCallId));
        Assert.Equal((AllocationOutcomeCode.Success, false), (result.OutcomeCode, result.HasFailureReason));
        Assert.Equal(value.Uri, result.ReturnValue.Uri);
        Assert.False(result.ReturnValue.HasContentType);
    }

    [Fact]
    public async Task A_childs_result_is_pushed_once_to_the_executor_of_its_parent()
    {
        await using var harness = await Harness.StartV2Async();
        await harness.RegisterV2Async("exec-a");
        await harness.RegisterV2Async("exec-b");
        var server = harness.Server;
        var parent = server.AddAllocation(server.NewAllocation(server.AddFunctionExecutor("exec-a", server.NewFunctionExecutor("ns", "app", "parent"))));
        var child = server.AddAllocation(server.NewAllocation(server.AddFunctionExecutor("exec-b", server.NewFunctionExecutor("ns", "app", "child")), requestId: parent.RequestId));
        var call = V2Messages.Heartbeat("exec-a");
        call.AllocationLogEntries.Add(V2Messages.CallFunction(parent, child.FunctionCallId));
        await harness.HeartbeatAsync(call);
        Assert.Empty(server.IssuedResults);

        var done = V2Messages.Heartbeat("exec-b");
        done.AllocationOutcomes.Add(V2Messages.Failed(child, AllocationFailureReason.FunctionError));
        await harness.HeartbeatAsync(done);

        var issued = Assert.Single(server.IssuedResults);
        Assert.Equal(("exec-a", parent.AllocationId), (issued.ExecutorId, issued.ParentAllocationId));
        Assert.Equal((AllocationOutcomeCode.Failure, AllocationFailureReason.FunctionError), (issued.Result.Entry.FunctionCallResult.OutcomeCode, issued.Result.Entry.FunctionCallResult.FailureReason));
        Assert.Empty(server.GetOutbox("exec-b")!.PendingResults);

        // Both executors resend their items (their answers were lost): nothing is pushed again.
        await harness.HeartbeatAsync(done);
        await harness.HeartbeatAsync(call);
        Assert.Single(server.IssuedResults);
        Assert.Equal([1ul], (await harness.PollResultsAsync("exec-a")).Select(r => r.Seq));
    }

    [Fact]
    public async Task A_scripted_outcome_reaches_a_waiting_parent_whenever_it_is_scripted()
    {
        await using var harness = await Harness.StartV2Async();
        await harness.RegisterV2Async("exec-1");
        var server = harness.Server;
        var parent = server.AddAllocation(server.NewAllocation(server.AddFunctionExecutor("exec-1", server.NewFunctionExecutor("ns", "app", "parent"))));
        var requestError = server.Blobs.PutRequestPayload("ns", "app", parent.RequestId, "err", "boom"u8, PayloadEncodings.Text);
        var earlyValue = server.Blobs.PutRequestPayload("ns", "app", parent.RequestId, "early", "1"u8, PayloadEncodings.Json);

        // Scripted before the call arrives: pushed as soon as the call registers its route.
        server.CompleteFunctionCall("ns", "app", parent.RequestId, "early", FunctionCallOutcome.Success(earlyValue));
        var calls = V2Messages.Heartbeat("exec-1");
        calls.AllocationLogEntries.Add(V2Messages.CallFunction(parent, "early"));
        calls.AllocationLogEntries.Add(V2Messages.CallFunction(parent, "late"));
        await harness.HeartbeatAsync(calls);
        Assert.Equal("early", Assert.Single(server.IssuedResults).Result.Entry.FunctionCallResult.FunctionCallId);

        // Scripted after: pushed then.
        server.CompleteFunctionCall("ns", "app", parent.RequestId, "late", FunctionCallOutcome.Failure(V1.AllocationFailureReason.RequestError, requestError));
        var late = server.IssuedResults[^1].Result;
        Assert.Equal((2ul, "late"), (late.Seq, late.Entry.FunctionCallResult.FunctionCallId));
        Assert.Equal(AllocationFailureReason.RequestError, late.Entry.FunctionCallResult.FailureReason);
        Assert.Equal(requestError.Uri, late.Entry.FunctionCallResult.RequestError.Uri);
    }

    [Fact]
    public async Task A_tail_call_moves_the_route_so_the_parent_gets_the_final_value_under_the_id_it_called()
    {
        await using var harness = await Harness.StartV2Async();
        await harness.RegisterV2Async("exec-1");
        var server = harness.Server;
        var fe = server.AddFunctionExecutor("exec-1", server.NewFunctionExecutor("ns", "app", "fn", maxConcurrency: 3));
        var parent = server.AddAllocation(server.NewAllocation(fe));
        var first = server.AddAllocation(server.NewAllocation(fe, requestId: parent.RequestId, functionCallId: "called"));
        var tail = server.AddAllocation(server.NewAllocation(fe, requestId: parent.RequestId, functionCallId: "tail-root"));

        var heartbeat = V2Messages.Heartbeat("exec-1");
        heartbeat.AllocationLogEntries.Add(V2Messages.CallFunction(parent, "called"));
        heartbeat.AllocationOutcomes.Add(V2Messages.TailCall(first, "tail-root"));
        await harness.HeartbeatAsync(heartbeat);
        Assert.Empty(server.IssuedResults);

        var finished = V2Messages.Heartbeat("exec-1");
        finished.AllocationOutcomes.Add(V2Messages.Completed(tail));
        await harness.HeartbeatAsync(finished);

        var result = Assert.Single(server.IssuedResults).Result.Entry;
        Assert.Equal((parent.AllocationId, "called"), (result.AllocationId, result.FunctionCallResult.FunctionCallId));
        Assert.Equal(tail.RequestDataPayloadUriPrefix + "/out", result.FunctionCallResult.ReturnValue.Uri);
    }

    [Fact]
    public async Task A_tail_call_without_root_is_taken_but_its_parent_never_hears_back()
    {
        await using var harness = await Harness.StartV2Async();
        await harness.RegisterV2Async("exec-1");
        var server = harness.Server;
        var fe = server.AddFunctionExecutor("exec-1", server.NewFunctionExecutor("ns", "app", "fn", maxConcurrency: 2));
        var parent = server.AddAllocation(server.NewAllocation(fe));
        var child = server.AddAllocation(server.NewAllocation(fe, requestId: parent.RequestId));
        var tailCall = V2Messages.TailCall(child, "root");
        tailCall.Completed.Updates.ClearRootFunctionCallId();

        var heartbeat = V2Messages.Heartbeat("exec-1");
        heartbeat.AllocationLogEntries.Add(V2Messages.CallFunction(parent, child.FunctionCallId));
        heartbeat.AllocationOutcomes.Add(tailCall);
        await harness.HeartbeatAsync(heartbeat);

        Assert.NotNull(server.GetAcceptedResult(child.AllocationId));
        Assert.Contains(server.Heartbeats[^1].SkippedItems, item => item.Contains("missing root_function_call_id", StringComparison.Ordinal));
        Assert.Empty(server.IssuedResults);
    }

    [Fact]
    public async Task A_result_for_a_parent_that_already_finished_is_dropped()
    {
        await using var harness = await Harness.StartV2Async();
        await harness.RegisterV2Async("exec-1");
        var server = harness.Server;
        var parent = server.AddAllocation(server.NewAllocation(server.AddFunctionExecutor("exec-1", server.NewFunctionExecutor("ns", "app", "parent"))));
        var heartbeat = V2Messages.Heartbeat("exec-1");
        heartbeat.AllocationLogEntries.Add(V2Messages.CallFunction(parent, "child"));
        heartbeat.AllocationOutcomes.Add(V2Messages.Failed(parent, AllocationFailureReason.FunctionError));
        await harness.HeartbeatAsync(heartbeat);

        server.CompleteFunctionCall("ns", "app", parent.RequestId, "child", FunctionCallOutcome.Failure(V1.AllocationFailureReason.FunctionError));

        Assert.Empty(server.IssuedResults);
    }

    [Fact]
    public async Task Malformed_call_function_entries_are_skipped_and_routes_are_registered_before_the_late_checks()
    {
        await using var harness = await Harness.StartV2Async();
        await harness.RegisterV2Async("exec-1");
        var server = harness.Server;
        var parent = server.AddAllocation(server.NewAllocation(server.AddFunctionExecutor("exec-1", server.NewFunctionExecutor("ns", "app", "parent"))));
        var noNamespace = V2Messages.CallFunction(parent, "unrouted");
        noNamespace.CallFunction.ClearNamespace();
        var noSource = V2Messages.CallFunction(parent, "routed");
        noSource.CallFunction.ClearSourceFunctionCallId();
        var heartbeat = V2Messages.Heartbeat("exec-1");
        heartbeat.AllocationLogEntries.Add(noNamespace);
        heartbeat.AllocationLogEntries.Add(noSource);

        Assert.False((await harness.HeartbeatAsync(heartbeat)).SendState);

        Assert.Equal(["CallFunction missing namespace", "CallFunction missing source_function_call_id"], server.Heartbeats[^1].SkippedItems);
        Assert.All(server.FunctionCallRequests, call => Assert.Equal(StatusCode.InvalidArgument, call.ReplyStatus));
        server.CompleteFunctionCall("ns", "app", parent.RequestId, "unrouted", FunctionCallOutcome.Failure(V1.AllocationFailureReason.FunctionError));
        server.CompleteFunctionCall("ns", "app", parent.RequestId, "routed", FunctionCallOutcome.Failure(V1.AllocationFailureReason.FunctionError));
        Assert.Equal("routed", Assert.Single(server.IssuedResults).Result.Entry.FunctionCallResult.FunctionCallId);
    }

    [Fact]
    public async Task Results_are_acknowledged_without_regression_checks_and_restart_at_seq_1_after_a_full_state()
    {
        await using var harness = await Harness.StartAsync(new FakeServerOptions { Protocol = ServerProtocol.V2, PollHoldTimeout = TimeSpan.FromMilliseconds(200) });
        await harness.RegisterV2Async("exec-1");
        var server = harness.Server;
        var parent = server.AddAllocation(server.NewAllocation(server.AddFunctionExecutor("exec-1", server.NewFunctionExecutor("ns", "app", "parent"))));
        var calls = V2Messages.Heartbeat("exec-1");
        foreach (var id in new[] { "c1", "c2", "c3" })
        {
            calls.AllocationLogEntries.Add(V2Messages.CallFunction(parent, id));
        }

        await harness.HeartbeatAsync(calls);
        server.CompleteFunctionCall("ns", "app", parent.RequestId, "c1", FunctionCallOutcome.Failure(V1.AllocationFailureReason.FunctionError));
        server.CompleteFunctionCall("ns", "app", parent.RequestId, "c2", FunctionCallOutcome.Failure(V1.AllocationFailureReason.FunctionError));

        Assert.Equal([1ul, 2ul], (await harness.PollResultsAsync("exec-1")).Select(r => r.Seq));
        Assert.Equal([2ul], (await harness.PollResultsAsync("exec-1", ack: 1)).Select(r => r.Seq));
        Assert.Equal([2ul], (await harness.PollResultsAsync("exec-1", ack: 0)).Select(r => r.Seq)); // a lower ack is no regression
        Assert.False(server.GetOutbox("exec-1")!.AckRegressed);

        // A full_state discards undelivered results; the numbering restarts.
        await harness.HeartbeatAsync(V2Messages.FullState("exec-1"));
        Assert.Empty(server.GetOutbox("exec-1")!.PendingResults);
        server.CompleteFunctionCall("ns", "app", parent.RequestId, "c3", FunctionCallOutcome.Failure(V1.AllocationFailureReason.FunctionError));
        var afterReset = Assert.Single(await harness.PollResultsAsync("exec-1"));
        Assert.Equal((1ul, "c3"), (afterReset.Seq, afterReset.Entry.FunctionCallResult.FunctionCallId));
    }

    [Fact]
    public async Task Call_function_faults_fail_the_heartbeat_carrying_the_entry()
    {
        await using var harness = await Harness.StartV2Async();
        await harness.RegisterV2Async("exec-1");
        var server = harness.Server;
        var parent = server.AddAllocation(server.NewAllocation(server.AddFunctionExecutor("exec-1", server.NewFunctionExecutor("ns", "app", "parent"))));
        var heartbeat = V2Messages.Heartbeat("exec-1");
        heartbeat.AllocationLogEntries.Add(V2Messages.CallFunction(parent, "child"));
        server.FailNextFunctionCalls(1, StatusCode.Unavailable);

        var error = await Assert.ThrowsAsync<RpcException>(() => harness.HeartbeatAsync(heartbeat));
        server.CompleteFunctionCall("ns", "app", parent.RequestId, "child", FunctionCallOutcome.Failure(V1.AllocationFailureReason.FunctionError));
        Assert.Empty(server.IssuedResults); // the failed entry registered nothing

        await harness.HeartbeatAsync(heartbeat);
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal([StatusCode.Unavailable, StatusCode.OK], server.FunctionCallRequests.Select(c => c.ReplyStatus));
        Assert.Single(server.IssuedResults);
    }
}

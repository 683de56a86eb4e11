using System.Text;
using Executor.Protocol.FunctionExecutorV1;
using TestFunctionExecutor.Tests.Infrastructure;

namespace TestFunctionExecutor.Tests.Protocol013;

public sealed class CallAndWait013FunctionExecutor() : InitializedFunctionExecutor013(TestFunctions.CallAndWait);

/// <summary>call_and_wait in 0.1.3: create batch → function_call_created → watcher batch → watcher_created + result → finish.</summary>
public sealed class CallAndWaitTests(CallAndWait013FunctionExecutor fixture) : IClassFixture<CallAndWait013FunctionExecutor>
{
    [Fact]
    public async Task Creates_the_call_then_watches_it_and_returns_a_value_derived_from_the_child()
    {
        ExecutorPeer013 peer = null!;
        peer = new ExecutorPeer013(fixture.Client, fixture.Directory)
        {
            OnWatcher = (_, _) => peer.ChildValue("child-ok", Encoding.UTF8.GetBytes("child-bytes")),
        };
        var allocation = AllocationInputs.Json(fixture.Directory, "caller", """{"function":"child_fn","payload":"hi child"}""");

        var run = await peer.RunAsync(allocation);

        Assert.Equal(TestFunctions.CallAndWaitPrefix + "child-bytes", run.ReadValueText());
        Assert.Equal(3, run.Batches.Count);

        // Batch 1: the call, its id being the durable id (root_function_call_id = FunctionCall.id), its argument in an output BLOB.
        var create = Assert.Single(run.Batches[0]).CreateFunctionCall;
        var durableId = TestFunctions.DurableId(allocation.FunctionCallId, 1);
        Assert.Equal(durableId, create.Updates.RootFunctionCallId);
        var call = Assert.Single(create.Updates.Updates).FunctionCall;
        Assert.Equal(durableId, call.Id);
        Assert.Equal(("test-ns", "test-app", "child_fn", "v1"), (call.Target.Namespace, call.Target.ApplicationName, call.Target.FunctionName, call.Target.ApplicationVersion));
        Assert.Equal(TestFunctions.ChildCallMetadata(), call.CallMetadata.ToByteArray());
        Assert.Contains(create.ArgsBlob.Id, run.StateSide.OutputBlobs.Keys);
        Assert.All(create.ArgsBlob.Chunks, c => Assert.True(c.HasEtag));
        Assert.Equal("hi child", Encoding.UTF8.GetString(run.ReadArgument(create)));

        // Batch 2: one watcher for it, without a deadline. Batch 3: the finish.
        var watcher = Assert.Single(run.Batches[1]).CreateFunctionCallWatcher;
        Assert.Equal(durableId, watcher.FunctionCallId);
        Assert.Null(watcher.Deadline);
        Assert.Equal(AllocationExecutionEvent.EventOneofCase.FinishAllocation, Assert.Single(run.Batches[2]).EventCase);

        // Reads: after 0 (answered with the created ack), after 1 (watcher_created, and the result in the same page or,
        // when the peer had not produced it yet, in the page of the read after 2), then perhaps after 3, abandoned when the
        // allocation stopped reading. Clocks never go backwards.
        var reads = run.ReadRequests.ToList();
        Assert.All(reads, r => Assert.Equal(100u, r.MaxEntries));
        var afterClocks = reads.Select(r => r.AfterClock).Distinct().ToList();
        Assert.Equal([0UL, 1UL], afterClocks.Take(2));
        Assert.All(afterClocks.Skip(2), c => Assert.InRange(c, 2UL, 3UL));
        Assert.Equal(afterClocks.Order(), afterClocks);

        // 0.1.3 state: no function calls, watchers or result, ever.
        Assert.All(run.StateSide.States, s => Assert.True(s.FunctionCalls.Count == 0 && s.FunctionCallWatchers.Count == 0 && s.Result is null));
        await fixture.Fe.WaitForOutputAsync($"allocation {allocation.AllocationId}: function call {durableId} created: OK");
    }

    [Fact]
    public async Task A_child_request_error_propagates_as_this_allocations_request_error()
    {
        ExecutorPeer013 peer = null!;
        peer = new ExecutorPeer013(fixture.Client, fixture.Directory) { OnWatcher = (_, _) => peer.ChildRequestError("child-req-error", "child says no") };

        var run = await peer.RunAsync(AllocationInputs.Json(fixture.Directory, "caller-request-error", "{}"));

        Assert.Equal(AllocationOutcomeCode.Failure, run.Finish.OutcomeCode);
        Assert.Equal(AllocationFailureReason.RequestError, run.Finish.FailureReason);
        Assert.Equal("child says no", Encoding.UTF8.GetString(FileBlobs.ReadValue(run.Finish.RequestErrorOutput, run.Finish.UploadedRequestErrorBlob)));
    }

    [Fact]
    public async Task A_failed_child_is_a_function_error()
    {
        var peer = new ExecutorPeer013(fixture.Client, fixture.Directory) { OnWatcher = (_, _) => ExecutorPeer013.ChildFailure() };

        var run = await peer.RunAsync(AllocationInputs.Json(fixture.Directory, "caller-child-failed", "{}"));

        Assert.Equal(AllocationOutcomeCode.Failure, run.Finish.OutcomeCode);
        Assert.Equal(AllocationFailureReason.FunctionError, run.Finish.FailureReason);
    }

    [Fact]
    public async Task A_call_that_could_not_be_created_is_a_function_error_without_a_watcher()
    {
        var peer = new ExecutorPeer013(fixture.Client, fixture.Directory) { OnFunctionCall = _ => new Google.Rpc.Status { Code = 13, Message = "Failed to create function call." } };

        var run = await peer.RunAsync(AllocationInputs.Json(fixture.Directory, "caller-not-created", "{}"));

        Assert.Equal(AllocationFailureReason.FunctionError, run.Finish.FailureReason);
        Assert.DoesNotContain(run.Events, e => e.EventCase == AllocationExecutionEvent.EventOneofCase.CreateFunctionCallWatcher);
    }

    [Fact]
    public async Task A_rejected_watcher_is_a_function_error_and_needs_no_result()
    {
        var peer = new ExecutorPeer013(fixture.Client, fixture.Directory) { OnWatcherCreated = _ => new Google.Rpc.Status { Code = 13, Message = "no watcher" } };

        var run = await peer.RunAsync(AllocationInputs.Json(fixture.Directory, "caller-watcher-rejected", "{}"));

        Assert.Equal(AllocationFailureReason.FunctionError, run.Finish.FailureReason);
        Assert.DoesNotContain(run.EventLog.Entries, e => e.EventCase == AllocationEvent.EventOneofCase.FunctionCallWatcherResult);
    }
}

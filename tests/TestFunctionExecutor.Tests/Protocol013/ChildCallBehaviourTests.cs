using System.Text;
using Executor.Protocol.FunctionExecutorV1;
using Grpc.Core;
using TestFunctionExecutor.Tests.Infrastructure;

namespace TestFunctionExecutor.Tests.Protocol013;

/// <summary>call_many_N, call_with_timeout_N, call_creation_failed, fire_and_forget and tail_call in 0.1.3.</summary>
public sealed class ChildCallBehaviourTests
{
    [Fact]
    public async Task Call_many_creates_all_calls_in_one_batch_and_watches_them_in_one_batch()
    {
        var (fe, dir) = await SingleUse.Start013Async(TestFunctions.CallMany(3));
        await using var _ = fe;
        using var __ = dir;
        ExecutorPeer013 peer = null!;
        peer = new ExecutorPeer013(fe.Client, dir) { OnWatcher = (_, create) => peer.EchoChild(create!) };
        var allocation = AllocationInputs.Json(dir, "many", "{}");

        var run = await peer.RunAsync(allocation);

        Assert.Equal("parent:item-0,item-1,item-2", run.ReadValueText());
        Assert.Equal(3, run.Batches.Count);
        var creates = run.Batches[0].Select(e => e.CreateFunctionCall).ToList();
        Assert.Equal([.. Enumerable.Range(1, 3).Select(i => TestFunctions.DurableId(allocation.FunctionCallId, i))], creates.Select(c => c.Updates.RootFunctionCallId));
        Assert.Equal(["item-0", "item-1", "item-2"], creates.Select(c => Encoding.UTF8.GetString(run.ReadArgument(c))));
        Assert.Equal(3, creates.Select(c => c.ArgsBlob.Id).Distinct().Count());
        Assert.Equal(creates.Select(c => c.Updates.RootFunctionCallId), run.Batches[1].Select(e => e.CreateFunctionCallWatcher.FunctionCallId));
    }

    [Fact]
    public async Task Call_with_timeout_puts_a_deadline_on_the_watcher_and_returns_timed_out_on_TIMEDOUT()
    {
        var (fe, dir) = await SingleUse.Start013Async(TestFunctions.CallWithTimeout(300));
        await using var _ = fe;
        using var __ = dir;
        var started = DateTime.UtcNow;

        // The child never finishes; the peer, as the executor, answers TIMEDOUT at the deadline.
        var run = await new ExecutorPeer013(fe.Client, dir).RunAsync(AllocationInputs.Json(dir, "timeout", """{"function":"hang"}"""));

        Assert.Equal(TestFunctions.TimedOutValue, run.ReadValueText());
        var deadline = Assert.Single(run.Batches[1]).CreateFunctionCallWatcher.Deadline.ToDateTime();
        Assert.InRange(deadline, started.AddMilliseconds(300), DateTime.UtcNow.AddMilliseconds(300));
        var timedOut = Assert.Single(run.EventLog.Entries, e => e.EventCase == AllocationEvent.EventOneofCase.FunctionCallWatcherResult).FunctionCallWatcherResult;
        Assert.Equal(FunctionCallWatcherStatus.Timedout, timedOut.WatcherStatus);

        // A child that finishes in time is returned as call_and_wait does.
        ExecutorPeer013 peer = null!;
        peer = new ExecutorPeer013(fe.Client, dir) { OnWatcher = (_, create) => peer.EchoChild(create!) };
        var inTime = await peer.RunAsync(AllocationInputs.Json(dir, "in-time", """{"payload":"quick"}"""));
        Assert.Equal(TestFunctions.CallAndWaitPrefix + "quick", inTime.ReadValueText());
    }

    [Fact]
    public async Task Call_creation_failed_sends_its_metadata_and_gets_its_error_back_from_a_non_OK_ack()
    {
        var (fe, dir) = await SingleUse.Start013Async(TestFunctions.CallCreationFailed);
        await using var _ = fe;
        using var __ = dir;
        var allocation = AllocationInputs.Json(dir, "creation-failed", "{}");

        var run = await new ExecutorPeer013(fe.Client, dir).RunAsync(allocation);

        Assert.Equal(TestFunctions.CreationFailedPrefix + TestFunctions.SerializationErrorMessage, run.ReadValueText());
        var failed = Assert.Single(run.Batches[0]).FunctionCallCreationFailed;
        Assert.Equal(TestFunctions.DurableId(allocation.FunctionCallId, 1), failed.FunctionCallId);
        Assert.Equal(TestFunctions.CreationFailedMetadata(), failed.Metadata.ToByteArray());
        // Nothing was uploaded for the call: the only output BLOB is the value's.
        Assert.Single(run.StateSide.OutputBlobs);

        // Without the metadata user code gets "Failed to start function call": uncaught, a function error.
        var noMetadata = new ExecutorPeer013(fe.Client, dir)
        {
            OnCreationFailed = _ => new AllocationEventFunctionCallCreated { Status = new Google.Rpc.Status { Code = 3, Message = "bad arguments" } },
        };
        var run2 = await noMetadata.RunAsync(AllocationInputs.Json(dir, "creation-failed-no-metadata", "{}"));
        Assert.Equal((AllocationOutcomeCode.Failure, AllocationFailureReason.FunctionError), (run2.Finish.OutcomeCode, run2.Finish.FailureReason));

        // Acknowledged OK, the call counts as started.
        var created = new ExecutorPeer013(fe.Client, dir) { OnCreationFailed = _ => new AllocationEventFunctionCallCreated { Status = ExecutorEventLog.Ok } };
        Assert.Equal(TestFunctions.StartedValue, (await created.RunAsync(AllocationInputs.Json(dir, "creation-failed-created", "{}"))).ReadValueText());
    }

    [Fact]
    public async Task Fire_and_forget_creates_the_call_and_finishes_without_watching_it()
    {
        var (fe, dir) = await SingleUse.Start013Async(TestFunctions.FireAndForget);
        await using var _ = fe;
        using var __ = dir;
        var allocation = AllocationInputs.Json(dir, "fire", """{"function":"background","payload":"go"}""");

        var run = await new ExecutorPeer013(fe.Client, dir).RunAsync(allocation);

        var durableId = TestFunctions.DurableId(allocation.FunctionCallId, 1);
        Assert.Equal(TestFunctions.FiredPrefix + durableId, run.ReadValueText());
        Assert.Equal(2, run.Batches.Count);
        var create = Assert.Single(run.Batches[0]).CreateFunctionCall;
        Assert.Equal("background", Assert.Single(create.Updates.Updates).FunctionCall.Target.FunctionName);
        Assert.Equal("go", Encoding.UTF8.GetString(run.ReadArgument(create)));
        Assert.DoesNotContain(run.Events, e => e.EventCase == AllocationExecutionEvent.EventOneofCase.CreateFunctionCallWatcher);
    }

    [Fact]
    public async Task Tail_call_creates_the_call_waits_for_its_ack_then_finishes_with_its_durable_id()
    {
        var (fe, dir) = await SingleUse.Start013Async(TestFunctions.TailCall);
        await using var _ = fe;
        using var __ = dir;
        const string input = """{"function":"next_fn"}""";
        var allocation = AllocationInputs.Json(dir, "tail", input);

        var run = await new ExecutorPeer013(fe.Client, dir).RunAsync(allocation);

        Assert.Equal(2, run.Batches.Count);
        var create = Assert.Single(run.Batches[0]).CreateFunctionCall;
        var durableId = TestFunctions.DurableId(allocation.FunctionCallId, 1);
        Assert.Equal(durableId, create.Updates.RootFunctionCallId);
        Assert.Equal("next_fn", Assert.Single(create.Updates.Updates).FunctionCall.Target.FunctionName);
        Assert.Equal(input, Encoding.UTF8.GetString(run.ReadArgument(create)));
        Assert.Contains(create.ArgsBlob.Id, run.StateSide.OutputBlobs.Keys);

        var finish = Assert.Single(run.Batches[1]).FinishAllocation;
        Assert.Equal(AllocationOutcomeCode.Success, finish.OutcomeCode);
        Assert.Equal(AllocationExecutionEventFinishAllocation.OutputsOneofCase.TailCallDurableId, finish.OutputsCase);
        Assert.Equal(durableId, finish.TailCallDurableId);
        Assert.Null(finish.UploadedFunctionOutputsBlob);
        Assert.DoesNotContain(run.Events, e => e.EventCase == AllocationExecutionEvent.EventOneofCase.CreateFunctionCallWatcher);

        // The finish is queued only once the call is acknowledged.
        await using var raw = await RawAllocation013.CreateAsync(fe.Client, dir, AllocationInputs.Json(dir, "tail-by-hand", input));
        var tail = Assert.Single(await raw.GetAsync()).CreateFunctionCall.Updates.RootFunctionCallId;
        await raw.AdvanceAsync();
        var early = await Assert.ThrowsAsync<RpcException>(() => raw.GetAsync(TimeSpan.FromMilliseconds(500)));
        Assert.Equal(StatusCode.DeadlineExceeded, early.StatusCode);
        using var reads = raw.OpenReads();
        raw.EventLog.Created(tail);
        await raw.AnswerAsync(await reads.NextAsync());
        Assert.Equal(tail, Assert.Single(await raw.GetAsync()).FinishAllocation.TailCallDurableId);
    }

    [Fact]
    public async Task A_tail_call_that_could_not_be_created_is_an_internal_error()
    {
        var (fe, dir) = await SingleUse.Start013Async(TestFunctions.TailCall);
        await using var _ = fe;
        using var __ = dir;
        var peer = new ExecutorPeer013(fe.Client, dir) { OnFunctionCall = _ => new Google.Rpc.Status { Code = 13, Message = "no" } };

        var run = await peer.RunAsync(AllocationInputs.Json(dir, "tail-refused", "{}"));

        Assert.Equal((AllocationOutcomeCode.Failure, AllocationFailureReason.InternalError), (run.Finish.OutcomeCode, run.Finish.FailureReason));
        await fe.WaitForOutputAsync("allocation tail-refused: tail call could not be started");
    }
}

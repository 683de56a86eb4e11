using System.Text;
using Executor.Protocol.FunctionExecutorV1;
using TestFunctionExecutor.Tests.Infrastructure;

namespace TestFunctionExecutor.Tests;

/// <summary>0.1.2: call_and_wait (function call + watcher), tail_call (ExecutionPlanUpdates result) and the other child-call behaviours.</summary>
public sealed class FunctionCallTests
{
    [Fact]
    public async Task Call_and_wait_starts_a_call_watches_it_and_returns_a_value_derived_from_the_child()
    {
        var (fe, dir) = await SingleUse.StartAsync(TestFunctions.CallAndWait);
        await using var _ = fe;
        using var __ = dir;

        ExecutorPeer peer = null!;
        peer = new ExecutorPeer(fe.Client, dir)
        {
            OnWatcher = watcher =>
            {
                var (value, blob) = peer.CreateValue("child", Encoding.UTF8.GetBytes("child-bytes"), SerializedObjectEncoding.Utf8Text);
                return new AllocationFunctionCallResult { OutcomeCode = AllocationOutcomeCode.Success, ValueOutput = value, ValueBlob = blob };
            },
        };

        var run = await peer.RunAsync(AllocationInputs.Json(dir, "caller", """{"function":"child_fn","payload":"hi child"}"""));

        Assert.Equal(TestFunctions.CallAndWaitPrefix + "child-bytes", run.ReadValueText());

        var call = Assert.Single(run.FunctionCalls);
        Assert.True(call.HasId);
        var update = Assert.Single(call.Updates.Updates);
        Assert.Equal(call.Updates.RootFunctionCallId, update.FunctionCall.Id);
        var target = update.FunctionCall.Target;
        Assert.Equal(("test-ns", "test-app", "child_fn", "v1"), (target.Namespace, target.ApplicationName, target.FunctionName, target.ApplicationVersion));

        // The argument was uploaded into an output BLOB obtained first.
        var arg = Assert.Single(update.FunctionCall.Args).Value;
        Assert.Contains(call.ArgsBlob.Id, run.OutputBlobs.Keys);
        Assert.Equal("hi child", Encoding.UTF8.GetString(FileBlobs.ReadValue(arg, call.ArgsBlob)));
        Assert.All(call.ArgsBlob.Chunks, c => Assert.True(c.HasEtag));

        var watcher = Assert.Single(run.Watchers);
        Assert.Equal(call.Updates.RootFunctionCallId, watcher.RootFunctionCallId);
        Assert.True(watcher.HasId);

        // Function calls and watchers leave the state once answered.
        Assert.Empty(run.States[^1].FunctionCalls);
        Assert.Empty(run.States[^1].FunctionCallWatchers);
    }

    [Fact]
    public async Task Call_and_wait_fails_when_the_call_cannot_be_created()
    {
        var (fe, dir) = await SingleUse.StartAsync(TestFunctions.CallAndWait);
        await using var _ = fe;
        using var __ = dir;

        var peer = new ExecutorPeer(fe.Client, dir) { OnFunctionCall = _ => new Google.Rpc.Status { Code = 13, Message = "Failed to create function call." } };
        var run = await peer.RunAsync(AllocationInputs.Json(dir, "caller-fails", """{"function":"child_fn"}"""));

        Assert.Equal(AllocationOutcomeCode.Failure, run.Result.OutcomeCode);
        Assert.Equal(AllocationFailureReason.FunctionError, run.Result.FailureReason);
        Assert.Empty(run.Watchers);
    }

    [Fact]
    public async Task Tail_call_returns_updates_with_the_argument_in_the_outputs_blob()
    {
        var (fe, dir) = await SingleUse.StartAsync(TestFunctions.TailCall);
        await using var _ = fe;
        using var __ = dir;

        const string input = """{"function":"next_fn"}""";
        var run = await new ExecutorPeer(fe.Client, dir).RunAsync(AllocationInputs.Json(dir, "tail", input));

        var result = run.Result;
        Assert.Equal(AllocationOutcomeCode.Success, result.OutcomeCode);
        Assert.Equal(AllocationResult.OutputsOneofCase.Updates, result.OutputsCase);
        var call = Assert.Single(result.Updates.Updates).FunctionCall;
        Assert.Equal(result.Updates.RootFunctionCallId, call.Id);
        Assert.Equal("next_fn", call.Target.FunctionName);
        Assert.Equal(input, Encoding.UTF8.GetString(FileBlobs.ReadValue(Assert.Single(call.Args).Value, result.UploadedFunctionOutputsBlob)));
        Assert.Empty(run.FunctionCalls);
    }

    [Fact]
    public async Task Call_with_timeout_withdraws_its_watcher_and_returns_timed_out_when_no_result_comes()
    {
        var (fe, dir) = await SingleUse.StartAsync(TestFunctions.CallWithTimeout(300));
        await using var _ = fe;
        using var __ = dir;

        // 0.1.2 watchers carry no deadline: the FE keeps the time itself.
        var run = await new ExecutorPeer(fe.Client, dir).RunAsync(AllocationInputs.Json(dir, "timeout-012", """{"function":"hang"}"""));

        Assert.Equal(TestFunctions.TimedOutValue, run.ReadValueText());
        Assert.Single(run.Watchers);
        Assert.Empty(run.States[^1].FunctionCallWatchers);
    }

    [Fact]
    public async Task Call_many_lists_every_call_and_returns_the_values_in_call_order()
    {
        var (fe, dir) = await SingleUse.StartAsync(TestFunctions.CallMany(2));
        await using var _ = fe;
        using var __ = dir;
        var calls = new System.Collections.Concurrent.ConcurrentDictionary<string, AllocationFunctionCall>();
        ExecutorPeer peer = null!;
        peer = new ExecutorPeer(fe.Client, dir)
        {
            OnFunctionCall = call =>
            {
                calls[call.Updates.RootFunctionCallId] = call;
                return new Google.Rpc.Status { Code = 0 };
            },
            OnWatcher = watcher =>
            {
                var call = calls[watcher.RootFunctionCallId];
                var argument = FileBlobs.ReadValue(Assert.Single(call.Updates.Updates).FunctionCall.Args.Single().Value, call.ArgsBlob);
                var (value, blob) = peer.CreateValue(watcher.RootFunctionCallId, argument, SerializedObjectEncoding.Utf8Text);
                return new AllocationFunctionCallResult { OutcomeCode = AllocationOutcomeCode.Success, ValueOutput = value, ValueBlob = blob };
            },
        };

        var run = await peer.RunAsync(AllocationInputs.Json(dir, "many-012", """{"payload":"x"}"""));

        Assert.Equal("parent:x-0,x-1", run.ReadValueText());
        Assert.Equal(2, run.FunctionCalls.Count);
        Assert.Equal(2, run.Watchers.Count);
    }

    [Fact]
    public async Task Call_creation_failed_fails_in_user_code_before_anything_is_listed()
    {
        var (fe, dir) = await SingleUse.StartAsync(TestFunctions.CallCreationFailed);
        await using var _ = fe;
        using var __ = dir;

        var run = await new ExecutorPeer(fe.Client, dir).RunAsync(AllocationInputs.Json(dir, "creation-failed-012", "{}"));

        Assert.Equal(TestFunctions.CreationFailedPrefix + TestFunctions.SerializationErrorMessage, run.ReadValueText());
        Assert.Empty(run.FunctionCalls);
        Assert.Single(run.OutputBlobs);
    }

    [Fact]
    public async Task Fire_and_forget_lists_the_call_and_returns_without_a_watcher()
    {
        var (fe, dir) = await SingleUse.StartAsync(TestFunctions.FireAndForget);
        await using var _ = fe;
        using var __ = dir;

        var run = await new ExecutorPeer(fe.Client, dir).RunAsync(AllocationInputs.Json(dir, "fire-012", """{"payload":"go"}"""));

        var call = Assert.Single(run.FunctionCalls);
        Assert.Equal(TestFunctions.FiredPrefix + call.Updates.RootFunctionCallId, run.ReadValueText());
        Assert.StartsWith("fire-012.call.", call.Updates.RootFunctionCallId, StringComparison.Ordinal);
        Assert.Empty(run.Watchers);
    }
}

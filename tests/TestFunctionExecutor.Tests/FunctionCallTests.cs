using System.Text;
using Executor.Protocol.FunctionExecutorV1;
using TestFunctionExecutor.Tests.Infrastructure;

namespace TestFunctionExecutor.Tests;

/// <summary>call_and_wait (function call + watcher) and tail_call (ExecutionPlanUpdates result).</summary>
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
}

using System.Text;
using Executor.Protocol.FunctionExecutorV1;
using Grpc.Core;
using TestFunctionExecutor.Tests.Infrastructure;

namespace TestFunctionExecutor.Tests.Protocol013;

/// <summary>The scripted behaviours keep their meaning in 0.1.3; outcomes arrive as finish_allocation.</summary>
public sealed class ScriptedBehaviourTests
{
    [Fact]
    public async Task Echo_uploads_the_argument_in_chunks_and_finishes_with_the_value()
    {
        var (fe, dir) = await SingleUse.Start013Async(TestFunctions.Echo);
        await using var _ = fe;
        using var __ = dir;
        const string json = """{"hello":"world","n":[1,2,3]}""";

        var run = await new ExecutorPeer013(fe.Client, dir) { OutputChunkSize = 7 }.RunAsync(AllocationInputs.Json(dir, "echo-013", json, offset: 13, chunkSize: 5));

        var expected = Encoding.UTF8.GetBytes(json);
        Assert.Equal(expected, run.ReadValue());
        var finish = Assert.Single(Assert.Single(run.Batches)).FinishAllocation;
        Assert.Equal((SerializedObjectEncoding.Utf8Json, "application/json", FileBlobs.Sha256(expected)), (finish.Value.Manifest.Encoding, finish.Value.Manifest.ContentType, finish.Value.Manifest.Sha256Hash));
        Assert.Equal(run.StateSide.OutputBlobs.Single().Key, finish.UploadedFunctionOutputsBlob.Id);
        Assert.Equal((expected.Length + 6) / 7, finish.UploadedFunctionOutputsBlob.Chunks.Count);
        Assert.All(finish.UploadedFunctionOutputsBlob.Chunks, c => Assert.True(c.HasEtag));
    }

    [Theory]
    [InlineData(TestFunctions.FailFunction, AllocationFailureReason.FunctionError)]
    [InlineData(TestFunctions.FailInternal, AllocationFailureReason.InternalError)]
    public async Task Failures_finish_with_the_scripted_reason_and_no_outputs(string function, AllocationFailureReason reason)
    {
        var (fe, dir) = await SingleUse.Start013Async(function);
        await using var _ = fe;
        using var __ = dir;

        var run = await new ExecutorPeer013(fe.Client, dir).RunAsync(AllocationInputs.Json(dir, "fail-013", "{}"));

        Assert.Equal((AllocationOutcomeCode.Failure, reason), (run.Finish.OutcomeCode, run.Finish.FailureReason));
        Assert.Equal(AllocationExecutionEventFinishAllocation.OutputsOneofCase.None, run.Finish.OutputsCase);
        Assert.Null(run.Finish.UploadedFunctionOutputsBlob);
        Assert.Empty(run.StateSide.OutputBlobs);
    }

    [Fact]
    public async Task Fail_request_writes_the_message_into_the_request_error_blob()
    {
        var (fe, dir) = await SingleUse.Start013Async(TestFunctions.FailRequest);
        await using var _ = fe;
        using var __ = dir;

        var run = await new ExecutorPeer013(fe.Client, dir).RunAsync(AllocationInputs.Json(dir, "fail-request-013", """{"message":"bad input: y"}"""));

        Assert.Equal((AllocationOutcomeCode.Failure, AllocationFailureReason.RequestError), (run.Finish.OutcomeCode, run.Finish.FailureReason));
        Assert.Equal(SerializedObjectEncoding.Utf8Text, run.Finish.RequestErrorOutput.Manifest.Encoding);
        Assert.Equal("request_error_blob", run.Finish.UploadedRequestErrorBlob.Id);
        Assert.Equal("bad input: y", Encoding.UTF8.GetString(FileBlobs.ReadValue(run.Finish.RequestErrorOutput, run.Finish.UploadedRequestErrorBlob)));
    }

    [Fact]
    public async Task Request_state_still_goes_through_the_state_stream()
    {
        var (fe, dir) = await SingleUse.Start013Async(TestFunctions.StateWriteRead);
        await using var _ = fe;
        using var __ = dir;
        var peer = new ExecutorPeer013(fe.Client, dir) { OutputChunkSize = 4 };

        var run = await peer.RunAsync(AllocationInputs.Json(dir, "state-013", """{"key":"k/2","value":"kept"}"""));

        Assert.Equal("kept", run.ReadValueText());
        Assert.Equal("kept", Encoding.UTF8.GetString(File.ReadAllBytes(peer.StateFiles["k/2"])));
        Assert.Equal(3, run.StateSide.StateOperations.Count);
        Assert.Equal(AllocationExecutionEvent.EventOneofCase.FinishAllocation, Assert.Single(Assert.Single(run.Batches)).EventCase);
    }

    [Fact]
    public async Task Progress_is_reported_in_the_state_stream()
    {
        var (fe, dir) = await SingleUse.Start013Async(TestFunctions.Progress(3, 30));
        await using var _ = fe;
        using var __ = dir;

        var run = await new ExecutorPeer013(fe.Client, dir).RunAsync(AllocationInputs.Json(dir, "progress-013", "\"p\""));

        Assert.Equal("\"p\"", run.ReadValueText());
        var last = run.StateSide.States.Last(s => s.Progress is not null).Progress;
        Assert.Equal((3f, 3f), (last.Current, last.Total));
    }

    [Fact]
    public async Task Crash_exits_mid_allocation()
    {
        var (fe, dir) = await SingleUse.Start013Async(TestFunctions.Crash);
        await using var _ = fe;
        using var __ = dir;

        var error = await Assert.ThrowsAsync<RpcException>(() => new ExecutorPeer013(fe.Client, dir).RunAsync(AllocationInputs.Json(dir, "crash-013", "{}")));

        Assert.NotEqual(StatusCode.OK, error.StatusCode);
        Assert.Equal(TestFunctions.CrashExitCode, await fe.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }
}

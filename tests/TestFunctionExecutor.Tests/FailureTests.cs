using System.Text;
using Executor.Protocol.FunctionExecutorV1;
using TestFunctionExecutor.Tests.Infrastructure;

namespace TestFunctionExecutor.Tests;

/// <summary>fail_function, fail_internal and fail_request results.</summary>
public sealed class FailureTests
{
    [Theory]
    [InlineData(TestFunctions.FailFunction, AllocationFailureReason.FunctionError)]
    [InlineData(TestFunctions.FailInternal, AllocationFailureReason.InternalError)]
    public async Task Fails_with_the_scripted_reason_and_no_outputs(string function, AllocationFailureReason reason)
    {
        var (fe, dir) = await SingleUse.StartAsync(function);
        await using var _ = fe;
        using var __ = dir;

        var run = await new ExecutorPeer(fe.Client, dir).RunAsync(AllocationInputs.Json(dir, "fail", "{}"));

        Assert.Equal(AllocationOutcomeCode.Failure, run.Result.OutcomeCode);
        Assert.Equal(reason, run.Result.FailureReason);
        Assert.Equal(AllocationResult.OutputsOneofCase.None, run.Result.OutputsCase);
        Assert.Null(run.Result.UploadedFunctionOutputsBlob);
        Assert.Empty(run.OutputBlobs);
    }

    [Fact]
    public async Task Request_error_is_written_into_the_request_error_blob()
    {
        var (fe, dir) = await SingleUse.StartAsync(TestFunctions.FailRequest);
        await using var _ = fe;
        using var __ = dir;

        var allocation = AllocationInputs.Json(dir, "fail-request", """{"message":"bad input: x"}""");
        var run = await new ExecutorPeer(fe.Client, dir).RunAsync(allocation);

        var result = run.Result;
        Assert.Equal(AllocationOutcomeCode.Failure, result.OutcomeCode);
        Assert.Equal(AllocationFailureReason.RequestError, result.FailureReason);
        var expected = Encoding.UTF8.GetBytes("bad input: x");
        Assert.Equal(SerializedObjectEncoding.Utf8Text, result.RequestErrorOutput.Manifest.Encoding);
        Assert.Equal((ulong)expected.Length, result.RequestErrorOutput.Manifest.Size);
        Assert.Equal(FileBlobs.Sha256(expected), result.RequestErrorOutput.Manifest.Sha256Hash);
        Assert.Equal(0UL, result.RequestErrorOutput.Offset);

        var uploaded = result.UploadedRequestErrorBlob;
        Assert.Equal("request_error_blob", uploaded.Id);
        var chunk = Assert.Single(uploaded.Chunks);
        Assert.Equal((ulong)expected.Length, chunk.Size);
        Assert.Equal(FileBlobs.Md5(expected), chunk.Etag);
        Assert.Equal(expected, FileBlobs.ReadValue(result.RequestErrorOutput, uploaded));
        Assert.Empty(run.OutputBlobs);
    }
}

using System.Text;
using Executor.Protocol.FunctionExecutorV1;
using TestFunctionExecutor.Tests.Infrastructure;

namespace TestFunctionExecutor.Tests;

/// <summary>state_write_read and state_read_missing against an executor-side state store.</summary>
public sealed class RequestStateTests
{
    [Fact]
    public async Task State_write_read_round_trips_through_the_executor()
    {
        var (fe, dir) = await SingleUse.StartAsync(TestFunctions.StateWriteRead);
        await using var _ = fe;
        using var __ = dir;

        var peer = new ExecutorPeer(fe.Client, dir) { OutputChunkSize = 4 };
        var run = await peer.RunAsync(AllocationInputs.Json(dir, "state", """{"key":"k/1","value":"stored value"}"""));

        Assert.Equal("stored value", run.ReadValueText());
        Assert.Equal("stored value", Encoding.UTF8.GetString(File.ReadAllBytes(peer.StateFiles["k/1"])));
        Assert.Equal(
            [AllocationRequestStateOperation.OperationOneofCase.PrepareWrite, AllocationRequestStateOperation.OperationOneofCase.CommitWrite, AllocationRequestStateOperation.OperationOneofCase.PrepareRead],
            run.StateOperations.Select(o => o.OperationCase));
        Assert.All(run.StateOperations, o => Assert.Equal("k/1", o.StateKey));
        var commit = run.StateOperations[1].CommitWrite.Blob;
        Assert.Equal(run.StateOperations[0].OperationId, commit.Id);
        Assert.All(commit.Chunks, c => Assert.True(c.HasEtag));
        Assert.Empty(run.States[^1].RequestStateOperations);
    }

    [Fact]
    public async Task State_read_missing_gets_not_found()
    {
        var (fe, dir) = await SingleUse.StartAsync(TestFunctions.StateReadMissing);
        await using var _ = fe;
        using var __ = dir;

        var run = await new ExecutorPeer(fe.Client, dir).RunAsync(AllocationInputs.Json(dir, "missing", "{}"));

        Assert.Equal(TestFunctions.NotFoundValue, run.ReadValueText());
        var read = Assert.Single(run.StateOperations);
        Assert.Equal(AllocationRequestStateOperation.OperationOneofCase.PrepareRead, read.OperationCase);
        Assert.Equal(TestFunctions.DefaultMissingStateKey, read.StateKey);
    }
}

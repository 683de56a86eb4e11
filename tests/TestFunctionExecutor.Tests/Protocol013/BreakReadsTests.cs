using Executor.Protocol.FunctionExecutorV1;
using Grpc.Core;
using TestFunctionExecutor.Tests.Infrastructure;

namespace TestFunctionExecutor.Tests.Protocol013;

/// <summary>break_reads: the first reads stream of each allocation is reset after its first read request.</summary>
public sealed class BreakReadsTests
{
    [Fact]
    public async Task The_first_reads_stream_breaks_and_the_pending_read_is_republished_on_the_next_one()
    {
        var (fe, dir) = await SingleUse.Start013Async(TestFunctions.Combine(TestFunctions.CallAndWait, TestFunctions.BreakReads));
        await using var _ = fe;
        using var __ = dir;

        // By hand: the first stream fails (the client may or may not have seen read 0 on it); the next stream gets read 0.
        await using (var raw = await RawAllocation013.CreateAsync(fe.Client, dir, AllocationInputs.Json(dir, "broken-by-hand", "{}")))
        {
            using var first = raw.OpenReads();
            var reset = await Assert.ThrowsAsync<RpcException>(async () =>
            {
                Assert.Equal(0UL, (await first.NextAsync()).AfterClock);
                await first.NextAsync();
            });
            Assert.NotEqual(StatusCode.OK, reset.StatusCode);
            using var second = raw.OpenReads();
            Assert.Equal(0UL, (await second.NextAsync()).AfterClock);
        }

        // A correct executor reopens the stream and answers each read once: the allocation succeeds.
        ExecutorPeer013 peer = null!;
        peer = new ExecutorPeer013(fe.Client, dir) { OnWatcher = (_, create) => peer.EchoChild(create!) };
        var run = await peer.RunAsync(AllocationInputs.Json(dir, "broken-peer", """{"payload":"p"}"""));

        Assert.Equal(TestFunctions.CallAndWaitPrefix + "p", run.ReadValueText());
        Assert.True(run.ReadStreamsOpened >= 2, $"{run.ReadStreamsOpened} streams");
        await fe.WaitForOutputAsync("allocation broken-peer: resetting the event log reads stream as scripted");
        Assert.DoesNotContain("allocation broken-peer: late or duplicate", fe.Output, StringComparison.Ordinal);
    }
}

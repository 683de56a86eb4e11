using Executor.Protocol.ServerV1;
using FakeIndexifyServer.Tests.Infrastructure;
using Google.Protobuf;
using Xunit;

namespace FakeIndexifyServer.Tests;

public sealed class SnapshotStreamTests
{
    [Fact]
    public async Task Scripted_changes_push_full_snapshots_that_repeat_the_clock()
    {
        await using var harness = await Harness.StartAsync(new FakeServerOptions { InitialClock = 41 });
        var (stream, first) = await harness.RegisterAndStreamAsync("exec-1");
        await using var _ = stream;
        Assert.Equal(42UL, first.Clock); // the registration was one event

        var fe = harness.Server.AddFunctionExecutor("exec-1", harness.Server.NewFunctionExecutor("ns", "app", "fn", maxConcurrency: 2));
        var withFe = await stream.NextAsync();
        var allocation = harness.Server.AddAllocation(harness.Server.NewAllocation(fe));
        var withAllocation = await stream.NextAsync();

        Assert.Equal(fe, Assert.Single(withFe.FunctionExecutors));
        Assert.Empty(withFe.Allocations);
        Assert.Equal(fe, Assert.Single(withAllocation.FunctionExecutors)); // full snapshot, not a delta
        Assert.Equal(allocation, Assert.Single(withAllocation.Allocations));
        Assert.Equal([42UL, 42UL, 42UL], new[] { first.Clock, withFe.Clock, withAllocation.Clock });
    }

    [Fact]
    public async Task Built_descriptions_and_allocations_look_like_the_real_servers()
    {
        await using var harness = await Harness.StartAsync();
        var fe = harness.Server.NewFunctionExecutor("ns", "app", "fn", applicationVersion: "v3", memoryMib: 512, secretNames: ["s1"]);
        var arg = harness.Server.Blobs.PutRequestPayload("ns", "app", "req-1", "arg0", "{}"u8, PayloadEncodings.Json);
        var allocation = harness.Server.NewAllocation(fe, [arg], requestId: "req-1");

        Assert.Equal(DataPayloadEncoding.BinaryZip, fe.Application.Encoding);
        Assert.Equal("application/zip", fe.Application.ContentType);
        Assert.Equal(512UL * 1024 * 1024, fe.Resources.MemoryBytes);
        Assert.Equal(FunctionExecutorType.Function, fe.ContainerType);
        Assert.Equal("fn:ns:app:fn:v3", fe.PoolId);
        Assert.Equal(1U, fe.MaxConcurrency);
        Assert.True(fe.HasInitializationTimeoutMs && fe.HasAllocationTimeoutMs);

        Assert.False(allocation.Function.HasApplicationVersion);
        Assert.Equal(harness.Server.Blobs.RootUrl + "/ns/app/req-1", allocation.RequestDataPayloadUriPrefix);
        Assert.Equal(allocation.RequestDataPayloadUriPrefix, allocation.RequestErrorPayloadUriPrefix);
        Assert.True(allocation.HasFunctionCallMetadata);
        Assert.Equal(fe.Id, allocation.FunctionExecutorId);
        var sentArg = Assert.Single(allocation.Args);
        Assert.Equal(DataPayloadEncoding.Utf8Json, sentArg.Encoding);
        Assert.Equal("application/json", sentArg.ContentType);
        Assert.Equal(2UL, sentArg.Size);
        Assert.Equal("{}"u8.ToArray(), harness.Server.Blobs.Read(sentArg));
    }

    [Fact]
    public async Task Several_streams_each_get_every_update()
    {
        await using var harness = await Harness.StartAsync();
        var (first, _) = await harness.RegisterAndStreamAsync("exec-1");
        await using var one = first;
        await using var two = harness.OpenStream("exec-1");
        await two.NextAsync();

        var fe = harness.Server.AddFunctionExecutor("exec-1", harness.Server.NewFunctionExecutor("ns", "app", "fn"));

        Assert.Equal(fe.Id, Assert.Single((await one.NextAsync()).FunctionExecutors).Id);
        Assert.Equal(fe.Id, Assert.Single((await two.NextAsync()).FunctionExecutors).Id);
        Assert.Equal(2, harness.Server.OpenStreamCount);
    }

    [Fact]
    public async Task Plain_heartbeats_push_nothing()
    {
        await using var harness = await Harness.StartAsync();
        var (stream, _) = await harness.RegisterAndStreamAsync("exec-1");
        await using var _s = stream;

        await harness.ReportAsync(Reports.Valid("exec-1"));
        await harness.ReportAsync(Reports.Valid("exec-1", stateHash: "changed"));
        harness.Server.AddFunctionExecutor("exec-1", harness.Server.NewFunctionExecutor("ns", "app", "fn"));

        // The next message is the FE change: neither heartbeat produced one.
        Assert.Single((await stream.NextAsync()).FunctionExecutors);
        Assert.Single(harness.Server.SentSnapshots, s => s.Snapshot.FunctionExecutors.Count == 0);
    }

    [Fact]
    public async Task Allocations_wait_for_a_free_slot_on_their_function_executor()
    {
        await using var harness = await Harness.StartAsync();
        var (stream, _) = await harness.RegisterAndStreamAsync("exec-1");
        await using var _s = stream;
        var fe = harness.Server.AddFunctionExecutor("exec-1", harness.Server.NewFunctionExecutor("ns", "app", "fn", maxConcurrency: 1));
        var a1 = harness.Server.AddAllocation(harness.Server.NewAllocation(fe));
        var a2 = harness.Server.AddAllocation(harness.Server.NewAllocation(fe));

        var placed = await stream.NextMatchingAsync(s => s.Allocations.Count > 0);
        Assert.Equal(a1.AllocationId, Assert.Single(placed.Allocations).AllocationId);

        await harness.ReportAsync(Reports.Valid("exec-1", results: [Reports.Success(a1)]));

        var next = await stream.NextMatchingAsync(s => s.Allocations.Any(a => a.AllocationId == a2.AllocationId));
        Assert.DoesNotContain(next.Allocations, a => a.AllocationId == a1.AllocationId);
    }

    [Fact]
    public async Task The_clock_can_be_reset_or_made_strictly_increasing()
    {
        await using var harness = await Harness.StartAsync(new FakeServerOptions { InitialClock = 100, RepeatClockAcrossChanges = false });
        var (stream, first) = await harness.RegisterAndStreamAsync("exec-1");
        await using var _ = stream;

        var fe = harness.Server.AddFunctionExecutor("exec-1", harness.Server.NewFunctionExecutor("ns", "app", "fn"));
        var second = await stream.NextAsync();
        Assert.True(second.Clock > first.Clock);

        harness.Server.ResetClock();
        harness.Server.RepeatClockAcrossChanges = true;
        harness.Server.AddAllocation(harness.Server.NewAllocation(fe));
        Assert.Equal(0UL, (await stream.NextAsync()).Clock); // a wiped server starts over
    }

    [Fact]
    public async Task The_first_snapshot_can_be_delayed()
    {
        await using var harness = await Harness.StartAsync(new FakeServerOptions { FirstSnapshotDelay = TimeSpan.FromMilliseconds(300) });
        await harness.ReportAsync(Reports.Valid("exec-1"));
        var opened = DateTime.UtcNow;
        await using var stream = harness.OpenStream("exec-1");

        await stream.NextAsync();

        Assert.True(DateTime.UtcNow - opened >= TimeSpan.FromMilliseconds(250));
    }

    [Fact]
    public async Task Raw_and_replaced_desired_states_reach_the_stream()
    {
        await using var harness = await Harness.StartAsync();
        var (stream, _) = await harness.RegisterAndStreamAsync("exec-1");
        await using var _s = stream;

        var raw = new DesiredExecutorState { Clock = 3 };
        raw.Allocations.Add(new Allocation { AllocationId = "garbage" });
        Assert.Equal(1, harness.Server.PushRawSnapshot("exec-1", raw));
        Assert.Equal(raw, await stream.NextAsync());

        var fe = harness.Server.NewFunctionExecutor("ns", "app", "fn");
        var allocation = harness.Server.NewAllocation(fe, functionCallMetadata: ByteString.CopyFromUtf8("m"));
        var desired = new DesiredExecutorState { Clock = 9 };
        desired.FunctionExecutors.Add(fe);
        desired.Allocations.Add(allocation);
        harness.Server.ReplaceDesiredState("exec-1", desired);

        Assert.Equal(desired, await stream.NextAsync());
        await harness.ReportAsync(Reports.Valid("exec-1", results: [Reports.Success(allocation)]));
        Assert.NotNull(await harness.Server.WaitForResultAsync(allocation.AllocationId));
    }
}

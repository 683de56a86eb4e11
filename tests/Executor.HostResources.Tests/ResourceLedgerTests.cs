namespace Executor.HostResources.Tests;

public sealed class ResourceLedgerTests
{
    private static readonly HostResourcesSnapshot Totals = new(2, 4096 * Mebibytes.Bytes, 10240 * Mebibytes.Bytes,
        [new GpuDevice(0, "NVIDIA H100 80GB HBM3", "GPU-a", GpuModel.H100_80GB), new GpuDevice(1, "NVIDIA H100 80GB HBM3", "GPU-b", GpuModel.H100_80GB)]);

    private static FunctionExecutorResourceRequest Request(uint cpu, ulong memoryMiB, ulong diskMiB, int gpus = 0, GpuModel model = GpuModel.Unknown) =>
        new(cpu, memoryMiB * Mebibytes.Bytes, diskMiB * Mebibytes.Bytes, gpus, model);

    [Fact]
    public void Reserves_until_full_then_refuses_with_the_shortfall()
    {
        var ledger = new ResourceLedger(Totals);

        Assert.True(ledger.TryReserve("fe-a", Request(1000, 3072, 1024)).Succeeded);
        var refused = ledger.TryReserve("fe-b", Request(500, 4096, 1024));

        Assert.False(refused.Succeeded);
        Assert.Equal("requested 4096 MiB memory, 1024 MiB free", refused.FailureReason);
        Assert.Equal(new ResourceAmounts(1000, 3072 * Mebibytes.Bytes, 1024 * Mebibytes.Bytes), ledger.Used);
    }

    [Fact]
    public void Every_shortfall_is_listed()
    {
        var ledger = new ResourceLedger(Totals);

        var refused = ledger.TryReserve("fe", Request(2500, 5000, 20000, 3, GpuModel.H100_80GB));

        Assert.Equal(
            "requested 2500 cpu_ms_per_sec, 2000 free; requested 5000 MiB memory, 4096 MiB free; requested 20000 MiB disk, 10240 MiB free; " +
            "requested 3 GPU(s) of model H100_80GB, 0 free",
            refused.FailureReason);
        Assert.Equal(new ResourceAmounts(0, 0, 0), ledger.Used);
    }

    [Fact]
    public void Gpus_are_reserved_with_the_rest_and_released_together()
    {
        var allocator = new GpuAllocator(Totals.OfferedGpus);
        var ledger = new ResourceLedger(Totals, allocator);

        var a = ledger.TryReserve("fe-a", Request(100, 10, 10, 2, GpuModel.H100_80GB));
        var b = ledger.TryReserve("fe-b", Request(100, 10, 10, 1, GpuModel.H100_80GB));
        var c = ledger.TryReserve("fe-c", Request(100, 10, 10, 1, GpuModel.A10));

        Assert.True(a.Succeeded);
        Assert.Equal(["GPU-a", "GPU-b"], a.Gpus.Select(g => g.Uuid));
        Assert.Equal("requested 1 GPU(s) of model H100_80GB, 0 free", b.FailureReason);
        Assert.Equal("requested 1 GPU(s) of model A10, 0 free", c.FailureReason);
        Assert.Equal(100UL, ledger.Used.CpuMsPerSec);

        Assert.True(ledger.Release("fe-a"));
        Assert.Equal(2, allocator.Available);
        Assert.Equal(new ResourceAmounts(0, 0, 0), ledger.Used);
        Assert.True(ledger.TryReserve("fe-b", Request(100, 10, 10, 1, GpuModel.H100_80GB)).Succeeded);
    }

    [Fact]
    public void Gpu_requests_without_an_allocator_or_with_an_unknown_model_are_refused()
    {
        var ledger = new ResourceLedger(Totals);

        Assert.Equal("requested 1 GPU(s) of model H100_80GB, 0 free", ledger.TryReserve("fe", Request(0, 0, 0, 1, GpuModel.H100_80GB)).FailureReason);
        Assert.Equal("requested 1 GPU(s) of unknown model Unknown", ledger.TryReserve("fe", Request(0, 0, 0, 1)).FailureReason);
    }

    [Fact]
    public void Same_request_again_is_idempotent_and_a_different_one_is_refused()
    {
        var ledger = new ResourceLedger(Totals, new GpuAllocator(Totals.OfferedGpus));
        var first = ledger.TryReserve("fe", Request(1000, 1024, 1024, 1, GpuModel.H100_80GB));

        var again = ledger.TryReserve("fe", Request(1000, 1024, 1024, 1, GpuModel.H100_80GB));
        var different = ledger.TryReserve("fe", Request(2000, 1024, 1024));

        Assert.True(again.Succeeded);
        Assert.Equal(first.Gpus, again.Gpus);
        Assert.Equal("function executor fe already holds a different reservation", different.FailureReason);
        Assert.Equal(1000UL, ledger.Used.CpuMsPerSec);
    }

    [Fact]
    public void Release_of_unknown_fe_is_a_no_op_and_free_tracks_usage()
    {
        var ledger = new ResourceLedger(Totals);
        ledger.TryReserve("fe", Request(250, 1000, 2000));

        Assert.False(ledger.Release("nobody"));
        Assert.Equal(new ResourceAmounts(1750, 3096 * Mebibytes.Bytes, 8240 * Mebibytes.Bytes), ledger.Free);
        Assert.Equal(new ResourceAmounts(2000, 4096 * Mebibytes.Bytes, 10240 * Mebibytes.Bytes), ledger.Total);
    }

    [Fact]
    public void Non_whole_MiB_amounts_are_formatted_readably()
    {
        var ledger = new ResourceLedger(new HostResourcesSnapshot(1, 1 * Mebibytes.Bytes, 0, []));

        var refused = ledger.TryReserve("fe", new FunctionExecutorResourceRequest(0, Mebibytes.Bytes + Mebibytes.Bytes / 2, 0));

        Assert.Equal("requested 1.5 MiB memory, 1 MiB free", refused.FailureReason);
    }

    [Fact]
    public async Task Concurrent_reservations_never_overcommit()
    {
        var ledger = new ResourceLedger(new HostResourcesSnapshot(4, 1000 * Mebibytes.Bytes, 1000 * Mebibytes.Bytes, []));
        using var start = new ManualResetEventSlim(false);

        var tasks = Enumerable.Range(0, 50).Select(fe => Task.Run(() =>
        {
            start.Wait();
            return ledger.TryReserve($"fe-{fe}", Request(100, 100, 10)).Succeeded;
        })).ToList();
        start.Set();
        var results = await Task.WhenAll(tasks);

        Assert.Equal(10, results.Count(r => r));
        Assert.Equal(new ResourceAmounts(1000, 1000 * Mebibytes.Bytes, 100 * Mebibytes.Bytes), ledger.Used);
    }
}

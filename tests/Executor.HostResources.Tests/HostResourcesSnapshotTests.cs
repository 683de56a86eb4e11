namespace Executor.HostResources.Tests;

public sealed class HostResourcesSnapshotTests
{
    private static GpuDevice Gpu(int index, GpuModel model) => new(index, model.ToString(), $"GPU-{index:D4}", model);

    [Fact]
    public void No_gpus_means_no_gpu_summary()
    {
        var snapshot = new HostResourcesSnapshot(4, 1024 * Mebibytes.Bytes, 2048 * Mebibytes.Bytes, []);

        Assert.Null(snapshot.Gpu);
        Assert.Empty(snapshot.OfferedGpus);
    }

    [Fact]
    public void Only_unknown_gpus_means_no_gpu_summary()
    {
        var snapshot = new HostResourcesSnapshot(4, 0, 0, [Gpu(0, GpuModel.Unknown), Gpu(1, GpuModel.Unknown)]);

        Assert.Null(snapshot.Gpu);
        Assert.Equal(2, snapshot.Gpus.Count);
    }

    [Fact]
    public void Summary_counts_usable_gpus_of_the_first_usable_model()
    {
        var snapshot = new HostResourcesSnapshot(4, 0, 0,
        [
            Gpu(0, GpuModel.Unknown), Gpu(1, GpuModel.H100_80GB), Gpu(2, GpuModel.A10), Gpu(3, GpuModel.H100_80GB),
        ]);

        Assert.Equal(new GpuSummary(2, GpuModel.H100_80GB), snapshot.Gpu);
        Assert.Equal([1, 3], snapshot.OfferedGpus.Select(g => g.Index));
    }

    [Fact]
    public void Overheads_are_subtracted_floored_at_zero_and_kept_in_whole_MiB()
    {
        var snapshot = new HostResourcesSnapshot(16, 1000 * Mebibytes.Bytes, 500 * Mebibytes.Bytes, [Gpu(0, GpuModel.A10)]);

        var fe = snapshot.WithoutOverheads(2, 100 * Mebibytes.Bytes + 1, 600 * Mebibytes.Bytes);

        Assert.Equal(14, fe.CpuCount);
        Assert.Equal(899 * Mebibytes.Bytes, fe.MemoryBytes);
        Assert.Equal(0UL, fe.DiskBytes);
        Assert.Same(snapshot.Gpus, fe.Gpus);
        Assert.Equal(0, snapshot.WithoutOverheads(20, 0, 0).CpuCount);
    }
}

namespace Executor.HostResources.Tests;

public sealed class GpuAllocatorTests
{
    private static GpuDevice Gpu(int index, GpuModel model = GpuModel.H100_80GB) => new(index, "gpu", $"GPU-{index:D4}", model);

    [Fact]
    public void Hands_out_whole_gpus_lowest_index_first_and_never_twice()
    {
        var allocator = new GpuAllocator([Gpu(2), Gpu(0), Gpu(1), Gpu(3, GpuModel.A10)]);

        Assert.True(allocator.TryAllocate("fe-a", 2, GpuModel.H100_80GB, out var a));
        Assert.True(allocator.TryAllocate("fe-b", 1, GpuModel.H100_80GB, out var b));
        Assert.False(allocator.TryAllocate("fe-c", 1, GpuModel.H100_80GB, out var c));

        Assert.Equal([0, 1], a.Select(g => g.Index));
        Assert.Equal([2], b.Select(g => g.Index));
        Assert.Empty(c);
        Assert.Equal(1, allocator.Available);
        Assert.Equal(0, allocator.AvailableOf(GpuModel.H100_80GB));
        Assert.Equal(1, allocator.AvailableOf(GpuModel.A10));
    }

    [Fact]
    public void Failed_allocation_takes_nothing_and_an_fe_holds_one_allocation()
    {
        var allocator = new GpuAllocator([Gpu(0), Gpu(1)]);

        Assert.False(allocator.TryAllocate("fe-a", 3, GpuModel.H100_80GB, out _));
        Assert.Equal(2, allocator.Available);
        Assert.False(allocator.TryAllocate("fe-a", 1, GpuModel.A10, out _));

        Assert.True(allocator.TryAllocate("fe-a", 1, GpuModel.H100_80GB, out _));
        Assert.False(allocator.TryAllocate("fe-a", 1, GpuModel.H100_80GB, out _));
        Assert.Equal(1, allocator.Available);
    }

    [Fact]
    public void Release_on_termination_returns_the_gpus_to_the_pool()
    {
        var allocator = new GpuAllocator([Gpu(0), Gpu(1)]);
        allocator.TryAllocate("fe-a", 2, GpuModel.H100_80GB, out var held);

        var released = allocator.Release("fe-a");

        Assert.Equal(held, released);
        Assert.Equal(2, allocator.Available);
        Assert.Empty(allocator.AllocatedTo("fe-a"));
        Assert.Empty(allocator.Release("fe-a"));
        Assert.True(allocator.TryAllocate("fe-b", 2, GpuModel.H100_80GB, out var again));
        Assert.Equal(held, again);
    }

    [Fact]
    public void Unknown_models_and_duplicates_are_not_managed()
    {
        var allocator = new GpuAllocator([Gpu(0), Gpu(0), new GpuDevice(1, "x", "GPU-0000", GpuModel.H100_80GB), Gpu(2, GpuModel.Unknown)]);

        Assert.Equal(1, allocator.Total);
        Assert.False(allocator.TryAllocate("fe", 1, GpuModel.Unknown, out _));
    }

    [Fact]
    public void Zero_count_succeeds_without_holding_anything()
    {
        var allocator = new GpuAllocator([Gpu(0)]);

        Assert.True(allocator.TryAllocate("fe", 0, GpuModel.H100_80GB, out var none));
        Assert.Empty(none);
        Assert.True(allocator.TryAllocate("fe", 1, GpuModel.H100_80GB, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => allocator.TryAllocate("fe2", -1, GpuModel.H100_80GB, out _));
    }

    [Fact]
    public async Task Concurrent_allocations_never_share_a_gpu()
    {
        const int gpuCount = 8;
        var allocator = new GpuAllocator(Enumerable.Range(0, gpuCount).Select(i => Gpu(i)));
        using var start = new ManualResetEventSlim(false);

        // Each holder claims its GPUs in this map right after being granted them and unclaims them right before
        // releasing; a GPU granted while someone else still holds it shows up as a failed claim.
        var claims = new System.Collections.Concurrent.ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        var violations = 0;

        // 64 FEs race for 8 GPUs, each repeatedly allocating and releasing.
        var tasks = Enumerable.Range(0, 64).Select(fe => Task.Run(() =>
        {
            start.Wait();
            var feId = $"fe-{fe}";
            var granted = 0;
            for (var round = 0; round < 200; round++)
            {
                if (!allocator.TryAllocate(feId, 1 + (fe % 2), GpuModel.H100_80GB, out var gpus))
                {
                    continue;
                }

                granted++;
                foreach (var gpu in gpus)
                {
                    if (!claims.TryAdd(gpu.Uuid, feId))
                    {
                        Interlocked.Increment(ref violations);
                    }
                }

                foreach (var gpu in gpus)
                {
                    claims.TryRemove(new KeyValuePair<string, string>(gpu.Uuid, feId));
                }

                allocator.Release(feId);
            }

            return granted;
        })).ToList();

        start.Set();
        var granted = await Task.WhenAll(tasks);

        Assert.Equal(0, violations);
        Assert.True(granted.Sum() > 0);
        Assert.Equal(gpuCount, allocator.Available);
    }

    [Fact]
    public async Task Concurrent_holders_get_disjoint_gpus()
    {
        var allocator = new GpuAllocator(Enumerable.Range(0, 16).Select(i => Gpu(i)));
        using var start = new ManualResetEventSlim(false);

        var tasks = Enumerable.Range(0, 40).Select(fe => Task.Run(() =>
        {
            start.Wait();
            return allocator.TryAllocate($"fe-{fe}", 1, GpuModel.H100_80GB, out var gpus) ? gpus : null;
        })).ToList();
        start.Set();
        var results = await Task.WhenAll(tasks);

        var winners = results.Where(r => r is not null).ToList();
        Assert.Equal(16, winners.Count);
        Assert.Equal(16, winners.SelectMany(g => g!).Select(g => g.Uuid).Distinct().Count());
        Assert.Equal(0, allocator.Available);
    }
}

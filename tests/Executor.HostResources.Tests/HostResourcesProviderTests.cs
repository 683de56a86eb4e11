using Executor.HostResources.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Executor.HostResources.Tests;

public sealed class HostResourcesProviderTests
{
    private readonly FakeHostFileSystem _fs = new();
    private readonly CapturingLogger<HostResourcesProvider> _log = new();

    public HostResourcesProviderTests()
    {
        _fs.Files["/proc/meminfo"] = "MemTotal:       131981020 kB\nMemFree:        1 kB\n";
        _fs.Directories.Add("/data");
        _fs.FileSystemSizes["/data"] = 270553174016;
    }

    private HostResourcesProvider Create(INvidiaSmiRunner runner, HostResourcesOptions? options = null) =>
        new(_fs, runner, Options.Create(options ?? new HostResourcesOptions { DiskPath = "/data/cache/executor" }), _log);

    [Fact]
    public async Task Fixture_host_is_measured_like_upstream_with_whole_MiB()
    {
        var provider = Create(new FakeNvidiaSmiRunner(Fixtures.NvidiaSmi("nvidia-smi-query-h100.csv")));

        var snapshot = await provider.GetAsync(CancellationToken.None);

        Assert.Equal(Environment.ProcessorCount, snapshot.CpuCount);
        Assert.Equal(131981020UL * 1024 / Mebibytes.Bytes * Mebibytes.Bytes, snapshot.MemoryBytes);
        Assert.Equal(270553174016UL / Mebibytes.Bytes * Mebibytes.Bytes, snapshot.DiskBytes);
        Assert.Equal(new GpuSummary(1, GpuModel.H100_80GB), snapshot.Gpu);
        Assert.Equal(Fixtures.H100Uuid, Assert.Single(snapshot.OfferedGpus).Uuid);
    }

    [Fact]
    public async Task Disk_is_measured_at_the_nearest_existing_parent_of_the_cache_path()
    {
        var provider = Create(new FakeNvidiaSmiRunner(null));

        await provider.GetAsync(CancellationToken.None);

        Assert.Equal(["/data"], _fs.SizeQueries);
    }

    [Fact]
    public async Task Lower_cgroup_memory_limit_wins()
    {
        _fs.Files["/proc/self/cgroup"] = "0::/executor\n";
        _fs.Files["/sys/fs/cgroup/executor/memory.max"] = (8L * 1024 * 1024 * 1024 + 12345).ToString(System.Globalization.CultureInfo.InvariantCulture);

        var snapshot = await Create(new FakeNvidiaSmiRunner(null)).GetAsync(CancellationToken.None);

        Assert.Equal(8UL * 1024 * Mebibytes.Bytes, snapshot.MemoryBytes);
        Assert.Contains(_log.Entries, e => e.EventId == 1108);
    }

    [Fact]
    public async Task Higher_cgroup_memory_limit_is_ignored()
    {
        _fs.Files["/proc/self/cgroup"] = "0::/\n";
        _fs.Files["/sys/fs/cgroup/memory.max"] = "999999999999999";

        var snapshot = await Create(new FakeNvidiaSmiRunner(null)).GetAsync(CancellationToken.None);

        Assert.Equal(131981020UL * 1024 / Mebibytes.Bytes * Mebibytes.Bytes, snapshot.MemoryBytes);
    }

    [Fact]
    public async Task Unreadable_meminfo_and_disk_fall_back_without_throwing()
    {
        _fs.Files.Remove("/proc/meminfo");
        _fs.FileSystemSizes.Clear();

        var snapshot = await Create(new FakeNvidiaSmiRunner("garbage\u0000\u0001")).GetAsync(CancellationToken.None);

        Assert.True(snapshot.MemoryBytes > 0, "falls back to the runtime's memory figure");
        Assert.Equal(0UL, snapshot.MemoryBytes % Mebibytes.Bytes);
        Assert.Equal(0UL, snapshot.DiskBytes);
        Assert.Empty(snapshot.Gpus);
        Assert.Contains(_log.Warnings, e => e.EventId == 1107);
        Assert.Contains(_log.Warnings, e => e.EventId == 1109);
    }

    [Fact]
    public async Task Unknown_gpus_are_listed_but_not_offered_and_other_models_are_reported()
    {
        const string output = """
            0, NVIDIA GeForce RTX 4090, GPU-00000000-0000-0000-0000-000000000000
            1, NVIDIA A10, GPU-11111111-1111-1111-1111-111111111111
            2, Tesla T4, GPU-22222222-2222-2222-2222-222222222222
            3, NVIDIA A10, GPU-33333333-3333-3333-3333-333333333333
            """;

        var snapshot = await Create(new FakeNvidiaSmiRunner(output)).GetAsync(CancellationToken.None);

        Assert.Equal(4, snapshot.Gpus.Count);
        Assert.Equal(new GpuSummary(2, GpuModel.A10), snapshot.Gpu);
        Assert.Contains(_log.Warnings, e => e.EventId == 1101);
        Assert.Contains(_log.Warnings, e => e.EventId == 1106 && e.Message.Contains("TeslaT4", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Gpu_detection_can_be_disabled()
    {
        var runner = new FakeNvidiaSmiRunner(Fixtures.NvidiaSmi("nvidia-smi-query-h100.csv"));
        var provider = Create(runner, new HostResourcesOptions { DisableGpuDetection = true, DiskPath = "/data" });

        var snapshot = await provider.GetAsync(CancellationToken.None);

        Assert.Empty(snapshot.Gpus);
        Assert.Equal(0, runner.Calls);
    }

    [Fact]
    public async Task Measures_once_and_applies_overheads_for_FE_totals()
    {
        var runner = new FakeNvidiaSmiRunner(null);
        var provider = Create(runner, new HostResourcesOptions
        {
            DiskPath = "/data",
            CpuOverhead = 1,
            MemoryOverheadBytes = 1024L * 1024 * 1024,
            DiskOverheadBytes = 10L * 1024 * 1024 * 1024,
        });

        var totals = await provider.GetAsync(CancellationToken.None);
        var fe = await provider.GetFunctionExecutorTotalsAsync(CancellationToken.None);
        var again = await provider.GetAsync(CancellationToken.None);

        Assert.Same(totals, again);
        Assert.Equal(1, runner.Calls);
        Assert.Equal(Math.Max(0, totals.CpuCount - 1), fe.CpuCount);
        Assert.Equal(totals.MemoryBytes - 1024 * Mebibytes.Bytes, fe.MemoryBytes);
        Assert.Equal(totals.DiskBytes - 10 * 1024 * Mebibytes.Bytes, fe.DiskBytes);
    }

    [Fact]
    public async Task Real_run_on_this_machine()
    {
        var options = Options.Create(new HostResourcesOptions { DiskPath = Path.GetTempPath() });
        var provider = new HostResourcesProvider(new HostFileSystem(), new NvidiaSmiRunner(options, NullLogger<NvidiaSmiRunner>.Instance), options, _log);

        var snapshot = await provider.GetAsync(CancellationToken.None);

        Assert.True(snapshot.CpuCount > 0);
        Assert.True(snapshot.MemoryBytes > 0);
        Assert.True(snapshot.DiskBytes > 0);
        Assert.Equal(0UL, snapshot.MemoryBytes % Mebibytes.Bytes);
        Assert.Equal(0UL, snapshot.DiskBytes % Mebibytes.Bytes);
        if (!NvidiaSmiOnPath())
        {
            Assert.Empty(snapshot.Gpus);
        }
    }

    private static bool NvidiaSmiOnPath() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, "nvidia-smi")));
}

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Executor.HostResources;

/// <summary>Detects CPU, memory, disk and NVIDIA GPUs (executor-behavior.md §11), with the deviations documented per part.</summary>
public sealed class HostResourcesProvider(
    IHostFileSystem fileSystem,
    INvidiaSmiRunner nvidiaSmi,
    IOptions<HostResourcesOptions> options,
    ILogger<HostResourcesProvider> logger) : IHostResourcesProvider
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private HostResourcesSnapshot? _snapshot;

    public async Task<HostResourcesSnapshot> GetAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _snapshot) is { } cached)
        {
            return cached;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_snapshot is null)
            {
                var measured = await MeasureAsync(cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _snapshot, measured);
            }

            return _snapshot!;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<HostResourcesSnapshot> GetFunctionExecutorTotalsAsync(CancellationToken cancellationToken)
    {
        var totals = await GetAsync(cancellationToken).ConfigureAwait(false);
        var o = options.Value;
        return totals.WithoutOverheads(o.CpuOverhead, (ulong)Math.Max(0, o.MemoryOverheadBytes), (ulong)Math.Max(0, o.DiskOverheadBytes));
    }

    private async Task<HostResourcesSnapshot> MeasureAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;

        // Environment.ProcessorCount honours CPU affinity and cgroup CPU quotas, unlike upstream's logical CPU count:
        // the executor should not offer CPUs it cannot use.
        var cpuCount = Environment.ProcessorCount;
        var memoryBytes = Mebibytes.FloorToWholeMiB(ReadMemoryBytes());

        // Upstream reported the file system of "/"; FEs and the cache write under the cache path, so its file
        // system is the one that matters (the same one in the common single-disk case).
        var diskPath = ResolveDiskPath(settings.DiskPath);
        var diskBytes = Mebibytes.FloorToWholeMiB(ReadDiskBytes(diskPath));

        var gpus = await DetectGpusAsync(settings, cancellationToken).ConfigureAwait(false);
        var snapshot = new HostResourcesSnapshot(cpuCount, memoryBytes, diskBytes, gpus);

        var offered = snapshot.Gpu;
        if (offered is not null)
        {
            foreach (var other in gpus.Where(g => g.Model.IsUsable() && g.Model != offered.Model).GroupBy(g => g.Model))
            {
                logger.GpusOfOtherModelNotOffered(other.Count(), other.Key, offered.Model);
            }
        }

        logger.HostResourcesDetected(cpuCount, memoryBytes / Mebibytes.Bytes, diskBytes / Mebibytes.Bytes, diskPath,
            offered?.Count ?? 0, offered?.Model ?? GpuModel.Unknown, gpus.Count);
        return snapshot;
    }

    private ulong ReadMemoryBytes()
    {
        var memTotal = LinuxMemoryInfo.ParseMemTotalBytes(fileSystem.TryReadAllText(LinuxMemoryInfo.MemInfoPath));
        if (memTotal is null)
        {
            logger.MemTotalUnreadable(LinuxMemoryInfo.MemInfoPath);

            // The GC's figure already accounts for container limits, so no cgroup lookup is needed on this path.
            return (ulong)Math.Max(0, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);
        }

        var limit = LinuxMemoryInfo.ReadCgroupMemoryLimit(fileSystem);
        if (limit is { } l && l < memTotal)
        {
            logger.CgroupMemoryLimitApplied(l, memTotal.Value);
            return l;
        }

        return memTotal.Value;
    }

    private ulong ReadDiskBytes(string path)
    {
        var total = fileSystem.TryGetFileSystemTotalBytes(path);
        if (total is not > 0)
        {
            logger.DiskSizeUnknown(path);
            return 0;
        }

        return (ulong)total.Value;
    }

    /// <summary>Expands `~`, makes the path absolute and climbs to the nearest existing directory (the cache may not exist yet).</summary>
    private string ResolveDiskPath(string configured)
    {
        var path = configured.Trim();
        if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal))
        {
            path = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + path[1..];
        }

        var current = Path.GetFullPath(path);
        while (!fileSystem.DirectoryExists(current))
        {
            var parent = Path.GetDirectoryName(current);
            if (string.IsNullOrEmpty(parent))
            {
                break;
            }

            current = parent;
        }

        return current;
    }

    private async Task<IReadOnlyList<GpuDevice>> DetectGpusAsync(HostResourcesOptions settings, CancellationToken cancellationToken)
    {
        if (settings.DisableGpuDetection)
        {
            logger.GpuDetectionDisabled();
            return [];
        }

        var output = await nvidiaSmi.QueryGpusAsync(cancellationToken).ConfigureAwait(false);
        return NvidiaSmiOutputParser.Parse(output, logger);
    }
}

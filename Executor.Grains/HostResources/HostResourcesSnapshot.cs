namespace Executor.HostResources;

/// <summary>
/// Resources of this host (or, after <see cref="WithoutOverheads"/>, the part usable by Function Executors).
/// Memory and disk are whole MiB. <see cref="Gpus"/> lists every GPU nvidia-smi reported, unknown models included;
/// <see cref="OfferedGpus"/> and <see cref="Gpu"/> are what may be reported and handed to FEs.
/// </summary>
public sealed record HostResourcesSnapshot(int CpuCount, ulong MemoryBytes, ulong DiskBytes, IReadOnlyList<GpuDevice> Gpus)
{
    public static HostResourcesSnapshot Empty { get; } = new(0, 0, 0, []);

    /// <summary>
    /// GPUs that may be offered: known models only (the Server rejects unknown ones), and only those of the first
    /// usable GPU's model, because a report carries one (count, model) pair; upstream counted every GPU under the
    /// first GPU's model, which would let the Server place e.g. an H100 function on an A10.
    /// </summary>
    public IReadOnlyList<GpuDevice> OfferedGpus
    {
        get
        {
            var first = Gpus.FirstOrDefault(g => g.Model.IsUsable());
            return first is null ? [] : Gpus.Where(g => g.Model == first.Model).ToList();
        }
    }

    /// <summary>The GPU part of a report, or null when there is no usable GPU (then the report must leave gpu out).</summary>
    public GpuSummary? Gpu
    {
        get
        {
            var offered = OfferedGpus;
            return offered.Count == 0 ? null : new GpuSummary(offered.Count, offered[0].Model);
        }
    }

    /// <summary>Totals minus host overheads, each floored at 0 and memory/disk kept in whole MiB (upstream's FE totals).</summary>
    public HostResourcesSnapshot WithoutOverheads(int cpuOverhead, ulong memoryOverheadBytes, ulong diskOverheadBytes) =>
        this with
        {
            CpuCount = Math.Max(0, CpuCount - Math.Max(0, cpuOverhead)),
            MemoryBytes = Mebibytes.FloorToWholeMiB(MemoryBytes > memoryOverheadBytes ? MemoryBytes - memoryOverheadBytes : 0),
            DiskBytes = Mebibytes.FloorToWholeMiB(DiskBytes > diskOverheadBytes ? DiskBytes - diskOverheadBytes : 0),
        };
}

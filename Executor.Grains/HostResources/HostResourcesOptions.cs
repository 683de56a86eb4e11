namespace Executor.HostResources;

/// <summary>Configuration section <c>HostResources</c>.</summary>
public sealed class HostResourcesOptions
{
    public const string SectionName = "HostResources";

    /// <summary>CPUs kept for the host and the executor itself, subtracted from the FE totals (upstream's CLI passes 0).</summary>
    public int CpuOverhead { get; set; }

    /// <summary>Memory kept for the host, subtracted from the FE totals.</summary>
    public long MemoryOverheadBytes { get; set; }

    /// <summary>Disk kept for the host, subtracted from the FE totals.</summary>
    public long DiskOverheadBytes { get; set; }

    /// <summary>
    /// A path on the file system whose total size is reported as disk_bytes. The host should set it to the
    /// executor cache path (FEs write there); the default is upstream's default cache path. `~` is expanded and a
    /// path that does not exist yet is measured at its nearest existing parent.
    /// </summary>
    public string DiskPath { get; set; } = "~/.indexify/executor_cache";

    /// <summary>nvidia-smi executable, found on PATH unless a path is given.</summary>
    public string NvidiaSmiPath { get; set; } = "nvidia-smi";

    /// <summary>How long nvidia-smi may take before it is killed and the host is treated as having no GPUs.</summary>
    public TimeSpan NvidiaSmiTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Report no GPUs without running nvidia-smi.</summary>
    public bool DisableGpuDetection { get; set; }

    /// <summary>
    /// Refuse an FE (STARTUP_FAILED_INTERNAL_ERROR) whose cpu_ms_per_sec, memory or disk do not fit in what running FEs
    /// left of the FE totals. Off only for test hosts that place more FEs than the machine has cores. GPUs are always
    /// booked: a device given to one FE is never handed to another.
    /// </summary>
    public bool EnforceFunctionExecutorResources { get; set; } = true;

    /// <summary>How an FE's GPUs are named in CUDA_VISIBLE_DEVICES / NVIDIA_VISIBLE_DEVICES.</summary>
    public GpuVisibilityMode GpuVisibilityMode { get; set; } = GpuVisibilityMode.Uuid;
}

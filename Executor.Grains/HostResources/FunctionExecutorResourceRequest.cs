namespace Executor.HostResources;

/// <summary>
/// What one FE asks for (from its description's resources): CPU in ms per second (1000 = one core), memory and disk
/// in bytes, and optionally whole GPUs of one model.
/// </summary>
public sealed record FunctionExecutorResourceRequest(
    uint CpuMsPerSec,
    ulong MemoryBytes,
    ulong DiskBytes,
    int GpuCount = 0,
    GpuModel GpuModel = GpuModel.Unknown);

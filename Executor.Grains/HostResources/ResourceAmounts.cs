namespace Executor.HostResources;

/// <summary>An amount of CPU (ms per second), memory and disk (bytes), used for totals, usage and free space.</summary>
public sealed record ResourceAmounts(ulong CpuMsPerSec, ulong MemoryBytes, ulong DiskBytes);

namespace Executor.HostResources;

/// <summary>What a report says about GPUs: a count of GPUs of one model (the protocol carries a single pair).</summary>
public sealed record GpuSummary(int Count, GpuModel Model);

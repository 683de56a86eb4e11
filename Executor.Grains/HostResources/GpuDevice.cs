namespace Executor.HostResources;

/// <summary>One NVIDIA GPU as nvidia-smi lists it: its index, product name, UUID and the model derived from the name.</summary>
public sealed record GpuDevice(int Index, string ProductName, string Uuid, GpuModel Model);

namespace Executor.HostResources;

/// <summary>How GPUs are named in CUDA_VISIBLE_DEVICES / NVIDIA_VISIBLE_DEVICES.</summary>
public enum GpuVisibilityMode
{
    /// <summary>GPU UUIDs: unambiguous whatever order CUDA enumerates devices in.</summary>
    Uuid,

    /// <summary>nvidia-smi indices (PCI bus order); CUDA_DEVICE_ORDER=PCI_BUS_ID is set so CUDA agrees.</summary>
    Index,
}

using System.Globalization;

namespace Executor.HostResources;

/// <summary>Environment variables that restrict an FE process to the GPUs allocated to it.</summary>
public static class GpuVisibility
{
    public const string CudaVisibleDevices = "CUDA_VISIBLE_DEVICES";
    public const string NvidiaVisibleDevices = "NVIDIA_VISIBLE_DEVICES";
    public const string CudaDeviceOrder = "CUDA_DEVICE_ORDER";

    /// <summary>
    /// With no GPUs the FE sees none: CUDA_VISIBLE_DEVICES is empty and NVIDIA_VISIBLE_DEVICES is "none" (the
    /// container runtime's value for "no devices"). Index mode also pins CUDA_DEVICE_ORDER=PCI_BUS_ID because CUDA's
    /// default fastest-first order need not match nvidia-smi's indices.
    /// </summary>
    public static IReadOnlyDictionary<string, string> EnvironmentFor(IReadOnlyList<GpuDevice> gpus, GpuVisibilityMode mode = GpuVisibilityMode.Uuid)
    {
        ArgumentNullException.ThrowIfNull(gpus);
        var ids = string.Join(',', gpus.Select(g => mode == GpuVisibilityMode.Uuid ? g.Uuid : g.Index.ToString(CultureInfo.InvariantCulture)));
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [CudaVisibleDevices] = ids,
            [NvidiaVisibleDevices] = gpus.Count == 0 ? "none" : ids,
        };
        if (mode == GpuVisibilityMode.Index)
        {
            env[CudaDeviceOrder] = "PCI_BUS_ID";
        }

        return env;
    }
}

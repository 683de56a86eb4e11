using Executor.Protocol.ServerV2;

namespace FakeIndexifyServer.Validation;

/// <summary>
/// The v2 server's conversion of a full_state: bad total_container_resources fail the heartbeat with INTERNAL
/// (the executor is not registered); a malformed container entry is only skipped and counted.
/// </summary>
internal static class FullStateValidator
{
    /// <summary>Leaving total_container_resources out is fine (zero resources); a partial one is not.</summary>
    public static string? FindResourcesError(DataplaneStateFullSync fullState)
    {
        if (fullState.TotalContainerResources is not { } resources)
        {
            return null;
        }

        return !resources.HasCpuCount ? "total_container_resources.cpu_count is required"
            : !resources.HasMemoryBytes ? "total_container_resources.memory_bytes is required"
            : !resources.HasDiskBytes ? "total_container_resources.disk_bytes is required"
            : FindGpuError(resources.Gpu);
    }

    public static string? FindContainerError(ContainerState state)
    {
        if (state.Description is not { } description)
        {
            return "container state missing description";
        }

        if (!description.HasId)
        {
            return "container missing id";
        }

        var function = description.Function;
        var missing = function is null ? "function"
            : !function.HasNamespace ? "function.namespace"
            : !function.HasApplicationName ? "function.application_name"
            : !function.HasFunctionName ? "function.function_name"
            : !function.HasApplicationVersion ? "function.application_version"
            : description.Resources is null ? "resources"
            : !description.Resources.HasCpuMsPerSec ? "resources.cpu_ms_per_sec"
            : !description.Resources.HasMemoryBytes ? "resources.memory_bytes"
            : !description.Resources.HasDiskBytes ? "resources.disk_bytes"
            : null;
        if (missing is not null)
        {
            return $"container {description.Id} missing {missing}";
        }

        return FindGpuError(description.Resources!.Gpu) is { } gpuError ? $"container {description.Id}: {gpuError}" : null;
    }

    private static string? FindGpuError(GPUResources? gpu) =>
        gpu is null ? null
        : gpu.Count == 0 ? "gpu count is 0"
        : gpu.Model == GPUModel.Unknown || !Enum.IsDefined(gpu.Model) ? "gpu model is unknown"
        : null;
}

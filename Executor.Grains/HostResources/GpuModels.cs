namespace Executor.HostResources;

/// <summary>Maps an nvidia-smi product name to a <see cref="GpuModel"/> (executor-behavior.md §11.2).</summary>
public static class GpuModels
{
    /// <summary>
    /// Upstream's rules in upstream's order, first match wins, case-sensitive as upstream.
    /// Deviation: every name starting with "NVIDIA A100" is decided by the A100 rules. Upstream only recognised A100s
    /// whose name ends in 80GB/40GB, so e.g. "NVIDIA A100 80GB PCIe" fell through to the "NVIDIA A10" rule and was
    /// reported as an A10; here it is an A100_80GB, and an A100 without a recognisable memory size is Unknown
    /// (not offered) rather than a wrong model.
    /// </summary>
    public static GpuModel FromProductName(string? productName)
    {
        var name = productName?.Trim() ?? string.Empty;
        if (name.StartsWith("NVIDIA A100", StringComparison.Ordinal))
        {
            if (name.Contains("80GB", StringComparison.Ordinal))
            {
                return GpuModel.A100_80GB;
            }

            return name.Contains("40GB", StringComparison.Ordinal) ? GpuModel.A100_40GB : GpuModel.Unknown;
        }

        if (name.StartsWith("NVIDIA H100", StringComparison.Ordinal) && name.Contains("80GB", StringComparison.Ordinal))
        {
            return GpuModel.H100_80GB;
        }

        if (name.StartsWith("Tesla T4", StringComparison.Ordinal))
        {
            return GpuModel.TeslaT4;
        }

        if (name.StartsWith("NVIDIA RTX A6000", StringComparison.Ordinal))
        {
            return GpuModel.A6000;
        }

        // As upstream this also covers variants such as "NVIDIA A10G".
        if (name.StartsWith("NVIDIA A10", StringComparison.Ordinal))
        {
            return GpuModel.A10;
        }

        return GpuModel.Unknown;
    }

    /// <summary>The Server rejects a report with an unknown GPU model, so only known models can be offered.</summary>
    public static bool IsUsable(this GpuModel model) => model != GpuModel.Unknown && Enum.IsDefined(model);
}

using Microsoft.Extensions.Options;

namespace Executor.HostResources;

/// <summary>Rejects impossible host resource settings at startup rather than reporting nonsense to the Server.</summary>
public sealed class HostResourcesOptionsValidator : IValidateOptions<HostResourcesOptions>
{
    private static readonly TimeSpan MaxNvidiaSmiTimeout = TimeSpan.FromMinutes(5);

    public ValidateOptionsResult Validate(string? name, HostResourcesOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.CpuOverhead < 0)
        {
            failures.Add($"{HostResourcesOptions.SectionName}:{nameof(options.CpuOverhead)} must be >= 0 (was {options.CpuOverhead}).");
        }

        if (options.MemoryOverheadBytes < 0)
        {
            failures.Add($"{HostResourcesOptions.SectionName}:{nameof(options.MemoryOverheadBytes)} must be >= 0 (was {options.MemoryOverheadBytes}).");
        }

        if (options.DiskOverheadBytes < 0)
        {
            failures.Add($"{HostResourcesOptions.SectionName}:{nameof(options.DiskOverheadBytes)} must be >= 0 (was {options.DiskOverheadBytes}).");
        }

        if (string.IsNullOrWhiteSpace(options.DiskPath))
        {
            failures.Add($"{HostResourcesOptions.SectionName}:{nameof(options.DiskPath)} must not be empty.");
        }

        if (!options.DisableGpuDetection)
        {
            if (string.IsNullOrWhiteSpace(options.NvidiaSmiPath))
            {
                failures.Add($"{HostResourcesOptions.SectionName}:{nameof(options.NvidiaSmiPath)} must not be empty unless {nameof(options.DisableGpuDetection)} is true.");
            }

            if (options.NvidiaSmiTimeout <= TimeSpan.Zero || options.NvidiaSmiTimeout > MaxNvidiaSmiTimeout)
            {
                failures.Add($"{HostResourcesOptions.SectionName}:{nameof(options.NvidiaSmiTimeout)} must be in (0, {MaxNvidiaSmiTimeout}] (was {options.NvidiaSmiTimeout}).");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

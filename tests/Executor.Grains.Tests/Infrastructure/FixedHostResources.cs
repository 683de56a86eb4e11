using Executor.HostResources;

namespace Executor.Grains.Tests.Infrastructure;

/// <summary>A host of known size (no /proc, no nvidia-smi): the FE budget the real resource pool books from.</summary>
public sealed class FixedHostResources(HostResourcesSnapshot snapshot) : IHostResourcesProvider
{
    public const ulong GiB = 1024UL * 1024 * 1024;

    /// <summary>8 CPUs, 16 GiB memory, 100 GiB disk, no GPUs.</summary>
    public static HostResourcesSnapshot Default { get; } = new(8, 16 * GiB, 100 * GiB, []);

    public Task<HostResourcesSnapshot> GetAsync(CancellationToken cancellationToken) => Task.FromResult(snapshot);

    public Task<HostResourcesSnapshot> GetFunctionExecutorTotalsAsync(CancellationToken cancellationToken) => Task.FromResult(snapshot);
}

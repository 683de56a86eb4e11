using Executor.HostResources;
using Executor.Model;
using Executor.Server;

namespace Executor.Reconciliation;

/// <summary>Host totals measured once at startup (like upstream) and held for every report.</summary>
public sealed class HostCapacitySource(IHostResourcesProvider provider) : IHostCapacitySource
{
    public HostCapacity Total { get; private set; } = new(0, 0, 0, null);

    public HostCapacity FunctionExecutorTotal { get; private set; } = new(0, 0, 0, null);

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        Total = ToCapacity(await provider.GetAsync(cancellationToken).ConfigureAwait(false));
        FunctionExecutorTotal = ToCapacity(await provider.GetFunctionExecutorTotalsAsync(cancellationToken).ConfigureAwait(false));
    }

    private static HostCapacity ToCapacity(HostResourcesSnapshot snapshot) => new(
        (uint)Math.Max(0, snapshot.CpuCount),
        snapshot.MemoryBytes,
        snapshot.DiskBytes,
        snapshot.Gpu is { Count: > 0 } gpu ? new GpuRequest((uint)gpu.Count, (Model.GpuModel)(int)gpu.Model) : null);
}

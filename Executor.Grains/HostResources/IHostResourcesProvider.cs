namespace Executor.HostResources;

/// <summary>Measures the host once (as upstream, at startup) and hands out the cached result afterwards.</summary>
public interface IHostResourcesProvider
{
    /// <summary>Total resources of the host (reported as total_resources).</summary>
    Task<HostResourcesSnapshot> GetAsync(CancellationToken cancellationToken);

    /// <summary>Totals minus the configured overheads (reported as total_function_executor_resources; FE budget).</summary>
    Task<HostResourcesSnapshot> GetFunctionExecutorTotalsAsync(CancellationToken cancellationToken);
}

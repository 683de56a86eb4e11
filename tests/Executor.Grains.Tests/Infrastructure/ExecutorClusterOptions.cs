using Executor.HostResources;

namespace Executor.Grains.Tests.Infrastructure;

/// <summary>How one test's executor is set up: configuration keys on top of the defaults, the host, the FEs' protocol.</summary>
public sealed class ExecutorClusterOptions
{
    /// <summary>Configuration keys (e.g. <c>Executor:ReportInterval</c>) overriding <see cref="ExecutorCluster"/>'s defaults.</summary>
    public Dictionary<string, string?> Settings { get; } = new(StringComparer.Ordinal);

    public HostResourcesSnapshot Host { get; set; } = FixedHostResources.Default;

    /// <summary>What FEs without a protocol marker in their id speak (as TEST_FE_PROTOCOL); null = 0.1.2.</summary>
    public string? FunctionExecutorProtocol { get; set; }
}

namespace Executor.Configuration;

/// <summary>Settings of the executor itself (section "Executor"); the CLI flags map onto these keys.</summary>
public sealed class ExecutorOptions
{
    public const string Section = "Executor";

    /// <summary>Server gRPC target, host:port without scheme (--grpc-server-addr).</summary>
    public string ServerAddress { get; set; } = "localhost:8901";

    /// <summary>auto, v1 or v2 (--server-protocol); see <see cref="ServerProtocolMode"/>.</summary>
    public string ServerProtocol { get; set; } = "auto";

    public ServerProtocolMode ServerProtocolMode => ServerProtocolModes.TryParse(ServerProtocol, out var mode) ? mode : ServerProtocolMode.Auto;

    /// <summary>Allowlist entries ns:app:fn[:version] (-f/--function). Empty = any function.</summary>
    public List<string> Functions { get; set; } = [];

    /// <summary>Executor labels (-l key=value); the default host labels override same-named keys.</summary>
    public Dictionary<string, string> Labels { get; set; } = new(StringComparer.Ordinal);

    /// <summary>TLS config file (--config-path): use_tls, tls_config.cert_path/key_path/ca_bundle_path.</summary>
    public string? ConfigPath { get; set; }

    /// <summary>Cache root (--executor-cache-path); "~" is expanded.</summary>
    public string CachePath { get; set; } = "~/.indexify/executor_cache";

    public string MonitoringHost { get; set; } = "localhost";

    public int MonitoringPort { get; set; } = 7000;

    public string? CatalogEntryName { get; set; }

    /// <summary>0 = production (JSON logs), 1 = -v, 2 = -vv. Verbose modes also pass --dev to FEs.</summary>
    public int Verbosity { get; set; }

    public TimeSpan ReportInterval { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan ReportRpcTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Cap of the ×3 backoff after answered report failures; kept well inside the Server's 30 s liveness window.</summary>
    public TimeSpan MaxReportBackoff { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Report retry period while the Server refuses connections (it is down, so probing costs it nothing).</summary>
    public TimeSpan ServerReconnectInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A silent desired-state stream is reopened after this long (it doubles as a health check).</summary>
    public TimeSpan DesiredStateStreamIdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    public TimeSpan HealthCheckInterval { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan HealthCheckTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Deadline of unary FE RPCs made while running an allocation (create, update, delete).</summary>
    public TimeSpan FunctionExecutorRpcTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a graceful FE stop waits after SIGTERM before SIGKILL.</summary>
    public TimeSpan FunctionExecutorStopGracePeriod { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Bound on the whole graceful executor shutdown.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Upper bound of the report message; results beyond it go out in later reports.</summary>
    public int MaxReportBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>
    /// Protocol v2: upper bound of one heartbeat (the Server refuses messages over 32 MiB); items beyond it go out in
    /// the heartbeats that follow at once. The dataplane uses 10 MiB.
    /// </summary>
    public int MaxHeartbeatBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>
    /// After startup, hand the file-backed pages that only startup touched back to the kernel (MADV_PAGEOUT): about
    /// 20 MiB less idle RSS. Key <c>Executor:ReleaseStartupPages</c>.
    /// </summary>
    public bool ReleaseStartupPages { get; set; } = true;

    /// <summary>Protocol v2: client deadline of one command or result poll; above the Server's 300 s hold, so a half-open connection cannot hang a poll.</summary>
    public TimeSpan ServerPollTimeout { get; set; } = TimeSpan.FromSeconds(330);

    /// <summary>An FE is not started (STARTUP_FAILED_INTERNAL_ERROR) while the cache file system has less free space; 0 disables the check.</summary>
    public long MinFreeCacheBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>How long call_function keeps retrying retriable errors.</summary>
    public TimeSpan CallFunctionRetryBudget { get; set; } = TimeSpan.FromMinutes(5);

    public bool DisableHealthChecks { get; set; }

    /// <summary>How long finished allocation ids are remembered after the Server stops listing them (stale snapshots).</summary>
    public TimeSpan FinishedAllocationRetention { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Consecutive health-check RPCs that time out before the FE counts as hung. An explicit unhealthy answer
    /// or a refused connection terminates at once (upstream never gives up on timeouts; we do, after this many).
    /// </summary>
    public int HealthCheckTimeoutsBeforeUnhealthy { get; set; } = 3;

    public string ExpandedCachePath => ExpandHome(CachePath);

    public static string ExpandHome(string path)
    {
        if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal))
        {
            var home = Environment.GetEnvironmentVariable("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            path = home + path[1..];
        }

        return Path.GetFullPath(path);
    }
}

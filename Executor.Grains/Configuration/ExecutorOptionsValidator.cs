using Microsoft.Extensions.Options;

namespace Executor.Configuration;

/// <summary>Collects every problem in one readable message naming the config keys (and their CLI flags).</summary>
public sealed class ExecutorOptionsValidator : IValidateOptions<ExecutorOptions>
{
    private const int MinHeartbeatBytes = 2 * 1024 * 1024;
    private const int MaxHeartbeatBytesLimit = 31 * 1024 * 1024;

    public ValidateOptionsResult Validate(string? name, ExecutorOptions options)
    {
        var errors = new List<string>();
        if (!ServerAddressParser.TryParse(options.ServerAddress, out _, out _))
        {
            errors.Add($"Executor:ServerAddress (--grpc-server-addr) must be host:port, got '{options.ServerAddress}'.");
        }

        if (!ServerProtocolModes.TryParse(options.ServerProtocol, out _))
        {
            errors.Add($"Executor:ServerProtocol (--server-protocol) must be {ServerProtocolModes.Allowed}, got '{options.ServerProtocol}'.");
        }

        foreach (var entry in options.Functions)
        {
            if (!AllowedFunctionParser.TryParse(entry, out _, out var error))
            {
                errors.Add($"Executor:Functions (-f/--function) entry '{entry}': {error}");
            }
        }

        foreach (var (key, _) in options.Labels)
        {
            if (string.IsNullOrEmpty(key))
            {
                errors.Add("Executor:Labels (-l/--label) keys must not be empty.");
            }
        }

        if (options.ConfigPath is { } configPath && !File.Exists(configPath))
        {
            errors.Add($"Executor:ConfigPath (--config-path) '{configPath}' does not exist.");
        }

        if (string.IsNullOrWhiteSpace(options.CachePath))
        {
            errors.Add("Executor:CachePath (--executor-cache-path) must not be empty.");
        }

        if (options.MonitoringPort is < 1 or > 65535)
        {
            errors.Add($"Executor:MonitoringPort (--monitoring-server-port) must be 1-65535, got {options.MonitoringPort}.");
        }

        if (string.IsNullOrWhiteSpace(options.MonitoringHost))
        {
            errors.Add("Executor:MonitoringHost (--monitoring-server-host) must not be empty.");
        }

        if (options.Verbosity is < 0 or > 2)
        {
            errors.Add("Executor:Verbosity must be 0, 1 (-v) or 2 (-vv).");
        }

        Positive(errors, options.ReportInterval, "Executor:ReportInterval");
        Positive(errors, options.ReportRpcTimeout, "Executor:ReportRpcTimeout");
        Positive(errors, options.MaxReportBackoff, "Executor:MaxReportBackoff");
        Positive(errors, options.ServerReconnectInterval, "Executor:ServerReconnectInterval");
        if (options.MinFreeCacheBytes < 0)
        {
            errors.Add("Executor:MinFreeCacheBytes must be 0 (no check) or a number of bytes.");
        }
        Positive(errors, options.DesiredStateStreamIdleTimeout, "Executor:DesiredStateStreamIdleTimeout");
        Positive(errors, options.HealthCheckInterval, "Executor:HealthCheckInterval");
        Positive(errors, options.HealthCheckTimeout, "Executor:HealthCheckTimeout");
        Positive(errors, options.FunctionExecutorRpcTimeout, "Executor:FunctionExecutorRpcTimeout");
        Positive(errors, options.ShutdownTimeout, "Executor:ShutdownTimeout");
        Positive(errors, options.CallFunctionRetryBudget, "Executor:CallFunctionRetryBudget");
        if (options.HealthCheckTimeoutsBeforeUnhealthy < 1)
        {
            errors.Add("Executor:HealthCheckTimeoutsBeforeUnhealthy must be at least 1.");
        }

        if (options.MaxReportBytes < 1024 * 1024)
        {
            errors.Add("Executor:MaxReportBytes must be at least 1 MiB (one function call is up to 1 MiB).");
        }

        if (options.MaxHeartbeatBytes is < MinHeartbeatBytes or > MaxHeartbeatBytesLimit)
        {
            errors.Add($"Executor:MaxHeartbeatBytes must be between {MinHeartbeatBytes} (2 MiB: a function call is up to 1 MiB) and {MaxHeartbeatBytesLimit} (31 MiB: the Server refuses messages over 32 MiB), got {options.MaxHeartbeatBytes}.");
        }

        Positive(errors, options.ServerPollTimeout, "Executor:ServerPollTimeout");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Positive(List<string> errors, TimeSpan value, string key)
    {
        if (value <= TimeSpan.Zero)
        {
            errors.Add($"{key} must be positive, got {value}.");
        }
    }
}

using System.Diagnostics.Metrics;
using Executor.Configuration;
using Executor.Hosting;
using Executor.Server;
using Microsoft.Extensions.Options;

namespace Executor.Metrics;

/// <summary>
/// Upstream's process-level metrics: cli_info and executor_info (info metrics: value 1, facts in labels),
/// executor_state (one series per state, 1 for the current one), healthy (1/0, the Server channel), and
/// server_protocol (one series per protocol, 1 for the one in use).
/// </summary>
public sealed class ExecutorInfoMetrics
{
    private static readonly string[] States = ["starting", "running", "shutting_down"];
    private static readonly ServerProtocol[] Protocols = [ServerProtocol.V1, ServerProtocol.V2];

    public ExecutorInfoMetrics(IMeterFactory meterFactory, ExecutorIdentity identity, IOptions<ExecutorOptions> options, ExecutorReadiness readiness, ServerChannelHealth health, ActiveServerProtocol protocol)
    {
        var meter = meterFactory.Create(ExecutorMeter.Name);
        var o = options.Value;
        var info = new List<KeyValuePair<string, object?>>
        {
            new("id", identity.ExecutorId),
            new("version", ExecutorIdentity.Version),
            new("cache_path", o.ExpandedCachePath),
            new("grpc_server_addr", o.ServerAddress),
            new("config_path", o.ConfigPath ?? "None"),
            new("hostname", identity.Hostname),
        };
        foreach (var (key, value) in o.Labels.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            info.Add(new($"label_{key}", value));
        }

        for (var i = 0; i < identity.AllowedFunctions.Count; i++)
        {
            var f = identity.AllowedFunctions[i];
            info.Add(new($"function_allowlist_{i}", $"{f.Namespace}:{f.Application}:{f.Function}:{f.Version ?? "None"}"));
        }

        var executorInfo = info.ToArray();
        meter.CreateObservableGauge("cli_info", () => new Measurement<int>(1, new KeyValuePair<string, object?>("package", "indexify")), unit: null, description: "Executor program information");
        meter.CreateObservableGauge("executor_info", () => new Measurement<int>(1, executorInfo), unit: null, description: "Executor identity and settings");
        meter.CreateObservableGauge("executor_state", () =>
        {
            var current = readiness.IsStopping ? "shutting_down" : readiness.IsReady ? "running" : "starting";
            return States.Select(s => new Measurement<int>(s == current ? 1 : 0, new KeyValuePair<string, object?>("executor_state", s)));
        }, unit: null, description: "Executor lifecycle state");
        meter.CreateObservableGauge("server_protocol", () =>
        {
            var current = protocol.Current;
            return Protocols.Select(p => new Measurement<int>(p == current ? 1 : 0, new KeyValuePair<string, object?>("protocol", p.Label())));
        }, unit: null, description: "Server protocol in use: 1 for the current one (both 0 while not negotiated yet)");
        meter.CreateObservableGauge("healthy", () => health.IsHealthy ? 1 : 0, unit: null, description: "1 when the last state report succeeded, else 0");
    }
}

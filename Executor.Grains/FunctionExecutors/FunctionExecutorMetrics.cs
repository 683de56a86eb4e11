using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Executor.Metrics;

namespace Executor.FunctionExecutors;

/// <summary>
/// FE lifecycle instruments with upstream's names and buckets. Gauges over all FEs (counts per state, runnable
/// allocations) are kept here as sums that each FunctionExecutorGrain adjusts with deltas.
/// </summary>
public sealed class FunctionExecutorMetrics
{
    private static readonly string[] StateLabels = ["unknown", "not_started", "starting_up", "running", "terminating", "terminated"];

    private readonly Counter<long> _infos;
    private readonly ConcurrentDictionary<string, long> _statesCount = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _runnablePerFunction = new(StringComparer.Ordinal);
    private long _functionExecutors;
    private long _runnable;

    public FunctionExecutorMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(ExecutorMeter.Name);
        Creates = Counter(meter, "function_executor_creates", "Function executors created");
        CreateErrors = Counter(meter, "function_executor_create_errors", "Function executors that failed to start");
        CreateLatency = Histogram(meter, "function_executor_create_latency_seconds", "Time to start a function executor", MetricBuckets.Customer);
        Destroys = Counter(meter, "function_executor_destroys", "Function executors destroyed");
        DestroyErrors = Counter(meter, "function_executor_destroy_errors", "Function executor destructions that failed");
        DestroyLatency = Histogram(meter, "function_executor_destroy_latency_seconds", "Time to destroy a function executor", MetricBuckets.Slow);
        CreateServerErrors = Counter(meter, "function_executor_create_server_errors", "Function executor processes that failed to launch");
        CreateServerLatency = Histogram(meter, "function_executor_create_server_latency_seconds", "Time to launch a function executor process", MetricBuckets.Slow);
        DestroyServerErrors = Counter(meter, "function_executor_destroy_server_errors", "Function executor processes that failed to stop");
        DestroyServerLatency = Histogram(meter, "function_executor_destroy_server_latency_seconds", "Time to stop a function executor process", MetricBuckets.Slow);
        EstablishChannelErrors = Counter(meter, "function_executor_establish_channel_errors", "Channels to function executors that failed to become ready");
        EstablishChannelLatency = Histogram(meter, "function_executor_establish_channel_latency_seconds", "Time for a function executor channel to become ready", MetricBuckets.Fast);
        DestroyChannelErrors = Counter(meter, "function_executor_destroy_channel_errors", "Channels to function executors that failed to close");
        DestroyChannelLatency = Histogram(meter, "function_executor_destroy_channel_latency_seconds", "Time to close a function executor channel", MetricBuckets.Fast);
        GetInfoRpcErrors = Counter(meter, "function_executor_get_info_rpc_errors", "get_info RPCs that failed");
        GetInfoRpcLatency = Histogram(meter, "function_executor_get_info_rpc_latency_seconds", "Latency of get_info RPCs", MetricBuckets.Fast);
        InitializeRpcErrors = Counter(meter, "function_executor_initialize_rpc_errors", "initialize RPCs that failed");
        InitializeRpcLatency = Histogram(meter, "function_executor_initialize_rpc_latency_seconds", "Latency of initialize RPCs", MetricBuckets.Customer);
        CreateHealthCheckerErrors = Counter(meter, "function_executor_create_health_checker_errors", "Health checkers that failed to start");
        CreateHealthCheckerLatency = Histogram(meter, "function_executor_create_health_checker_latency_seconds", "Time to start a health checker", MetricBuckets.Fast);
        DestroyHealthCheckerErrors = Counter(meter, "function_executor_destroy_health_checker_errors", "Health checkers that failed to stop");
        DestroyHealthCheckerLatency = Histogram(meter, "function_executor_destroy_health_checker_latency_seconds", "Time to stop a health checker", MetricBuckets.Fast);
        FailedHealthChecks = Counter(meter, "function_executor_failed_health_checks", "Health checks that found a function executor unhealthy");
        HealthCheckLatency = Histogram(meter, "function_executor_health_check_latency_seconds", "Latency of health checks", MetricBuckets.Fast);
        EventLatency = Histogram(meter, "handle_function_executor_control_loop_event_latency_seconds", "Time a function executor grain spends on one event", MetricBuckets.Fast);
        ApplicationDownloads = Counter(meter, "application_downloads", "Application code fetches, cache hits included");
        ApplicationDownloadsFromCache = Counter(meter, "application_downloads_from_cache", "Application code fetches served from the cache");
        ApplicationDownloadErrors = Counter(meter, "application_download_errors", "Application code fetches that failed");
        ApplicationDownloadLatency = Histogram(meter, "application_download_latency_seconds", "Time to fetch application code", MetricBuckets.Fast);
        _infos = Counter(meter, "function_executor_infos", "Function executors started, by FE and SDK version");
        meter.CreateObservableGauge("function_executors_count", () => Interlocked.Read(ref _functionExecutors), unit: null, description: "Function executors that exist");
        meter.CreateObservableGauge("runnable_allocations", () => Interlocked.Read(ref _runnable), unit: null, description: "Allocations waiting for a free slot on their function executor");
        meter.CreateObservableGauge(
            "runnable_allocations_per_function_name",
            () => _runnablePerFunction.Select(p => new Measurement<long>(p.Value, new KeyValuePair<string, object?>("function_name", p.Key))),
            unit: null,
            description: "Runnable allocations per function name");
        foreach (var state in StateLabels)
        {
            _statesCount[state] = 0;
        }

        meter.CreateObservableGauge(
            "function_executors_with_state",
            () => _statesCount.Select(p => new Measurement<long>(p.Value, new KeyValuePair<string, object?>("state", p.Key))),
            unit: null,
            description: "Function executors per internal state");

        // Upstream exports every counter from the start at 0; OpenTelemetry only exports measured series.
        foreach (var counter in new[] { Creates, CreateErrors, Destroys, DestroyErrors, CreateServerErrors, DestroyServerErrors, EstablishChannelErrors, DestroyChannelErrors, GetInfoRpcErrors, InitializeRpcErrors, CreateHealthCheckerErrors, DestroyHealthCheckerErrors, FailedHealthChecks, ApplicationDownloads, ApplicationDownloadsFromCache, ApplicationDownloadErrors })
        {
            counter.Add(0);
        }
    }

    public Counter<long> Creates { get; }
    public Counter<long> CreateErrors { get; }
    public Histogram<double> CreateLatency { get; }
    public Counter<long> Destroys { get; }
    public Counter<long> DestroyErrors { get; }
    public Histogram<double> DestroyLatency { get; }
    public Counter<long> CreateServerErrors { get; }
    public Histogram<double> CreateServerLatency { get; }
    public Counter<long> DestroyServerErrors { get; }
    public Histogram<double> DestroyServerLatency { get; }
    public Counter<long> EstablishChannelErrors { get; }
    public Histogram<double> EstablishChannelLatency { get; }
    public Counter<long> DestroyChannelErrors { get; }
    public Histogram<double> DestroyChannelLatency { get; }
    public Counter<long> GetInfoRpcErrors { get; }
    public Histogram<double> GetInfoRpcLatency { get; }
    public Counter<long> InitializeRpcErrors { get; }
    public Histogram<double> InitializeRpcLatency { get; }
    public Counter<long> CreateHealthCheckerErrors { get; }
    public Histogram<double> CreateHealthCheckerLatency { get; }
    public Counter<long> DestroyHealthCheckerErrors { get; }
    public Histogram<double> DestroyHealthCheckerLatency { get; }
    public Counter<long> FailedHealthChecks { get; }
    public Histogram<double> HealthCheckLatency { get; }
    public Histogram<double> EventLatency { get; }

    /// <summary>Every code fetch, cache hits included (as upstream).</summary>
    public Counter<long> ApplicationDownloads { get; }
    public Counter<long> ApplicationDownloadsFromCache { get; }
    public Counter<long> ApplicationDownloadErrors { get; }
    public Histogram<double> ApplicationDownloadLatency { get; }

    /// <summary>One FE's get_info answer, and the protocol the executor speaks with it (allocation_state, execution_log or unsupported).</summary>
    public void Info(string version, string sdkVersion, string sdkLanguage, string sdkLanguageVersion, string protocol) =>
        _infos.Add(
            1,
            new KeyValuePair<string, object?>("version", version),
            new KeyValuePair<string, object?>("sdk_version", sdkVersion),
            new KeyValuePair<string, object?>("sdk_language", sdkLanguage),
            new KeyValuePair<string, object?>("sdk_language_version", sdkLanguageVersion),
            new KeyValuePair<string, object?>("protocol", protocol));

    public void FunctionExecutorCreated() => Interlocked.Increment(ref _functionExecutors);

    public void FunctionExecutorRemoved() => Interlocked.Decrement(ref _functionExecutors);

    public void StateChanged(FunctionExecutorLifecycle? from, FunctionExecutorLifecycle? to)
    {
        if (from is { } f)
        {
            _statesCount.AddOrUpdate(Label(f), 0, (_, v) => v - 1);
        }

        if (to is { } t)
        {
            _statesCount.AddOrUpdate(Label(t), 1, (_, v) => v + 1);
        }
    }

    public void RunnableChanged(string functionName, long delta)
    {
        if (delta == 0)
        {
            return;
        }

        Interlocked.Add(ref _runnable, delta);
        _runnablePerFunction.AddOrUpdate(functionName, delta, (_, v) => v + delta);
    }

    private static string Label(FunctionExecutorLifecycle state) => state switch
    {
        FunctionExecutorLifecycle.NotStarted => "not_started",
        FunctionExecutorLifecycle.StartingUp => "starting_up",
        FunctionExecutorLifecycle.Running => "running",
        FunctionExecutorLifecycle.Terminating => "terminating",
        FunctionExecutorLifecycle.Terminated => "terminated",
        _ => "unknown",
    };

    private static Counter<long> Counter(Meter meter, string name, string description) => meter.CreateCounter<long>(name, unit: null, description: description);

    private static Histogram<double> Histogram(Meter meter, string name, string description, IReadOnlyList<double> buckets) =>
        meter.CreateHistogram(name, unit: null, description: description, tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = buckets });
}

using System.Diagnostics.Metrics;
using Executor.Metrics;

namespace Executor.FunctionExecutors;

/// <summary>FE lifecycle instruments, upstream names.</summary>
public sealed class FunctionExecutorMetrics
{
    private readonly Counter<long> _infos;

    public FunctionExecutorMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(ExecutorMeter.Name);
        Creates = meter.CreateCounter<long>("function_executor_creates");
        CreateErrors = meter.CreateCounter<long>("function_executor_create_errors");
        CreateLatency = meter.CreateHistogram("function_executor_create_latency_seconds", unit: null, description: null, tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricBuckets.Customer });
        Destroys = meter.CreateCounter<long>("function_executor_destroys");
        DestroyErrors = meter.CreateCounter<long>("function_executor_destroy_errors");
        DestroyLatency = meter.CreateHistogram("function_executor_destroy_latency_seconds", unit: null, description: null, tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricBuckets.Slow });
        FailedHealthChecks = meter.CreateCounter<long>("function_executor_failed_health_checks");
        HealthCheckLatency = meter.CreateHistogram("function_executor_health_check_latency_seconds", unit: null, description: null, tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricBuckets.Fast });
        ApplicationDownloads = meter.CreateCounter<long>("application_downloads");
        ApplicationDownloadsFromCache = meter.CreateCounter<long>("application_downloads_from_cache");
        ApplicationDownloadErrors = meter.CreateCounter<long>("application_download_errors");
        ApplicationDownloadLatency = meter.CreateHistogram("application_download_latency_seconds", unit: null, description: null, tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricBuckets.Slow });
        _infos = meter.CreateCounter<long>("function_executor_infos");
    }

    public Counter<long> Creates { get; }
    public Counter<long> CreateErrors { get; }
    public Histogram<double> CreateLatency { get; }
    public Counter<long> Destroys { get; }
    public Counter<long> DestroyErrors { get; }
    public Histogram<double> DestroyLatency { get; }
    public Counter<long> FailedHealthChecks { get; }
    public Histogram<double> HealthCheckLatency { get; }
    /// <summary>Every code fetch, cache hits included (as upstream).</summary>
    public Counter<long> ApplicationDownloads { get; }
    public Counter<long> ApplicationDownloadsFromCache { get; }
    public Counter<long> ApplicationDownloadErrors { get; }
    public Histogram<double> ApplicationDownloadLatency { get; }

    public void Info(string version, string sdkVersion, string sdkLanguage, string sdkLanguageVersion) =>
        _infos.Add(
            1,
            new KeyValuePair<string, object?>("version", version),
            new KeyValuePair<string, object?>("sdk_version", sdkVersion),
            new KeyValuePair<string, object?>("sdk_language", sdkLanguage),
            new KeyValuePair<string, object?>("sdk_language_version", sdkLanguageVersion));
}

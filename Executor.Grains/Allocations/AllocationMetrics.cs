using System.Diagnostics.Metrics;
using Executor.Metrics;
using Executor.Model;

namespace Executor.Allocations;

/// <summary>Allocation lifecycle instruments, upstream names.</summary>
public sealed class AllocationMetrics
{
    private readonly Counter<long> _completed;

    public AllocationMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(ExecutorMeter.Name);
        Fetched = meter.CreateCounter<long>("allocations_fetched");
        Preparations = meter.CreateCounter<long>("allocation_preparations");
        PreparationErrors = meter.CreateCounter<long>("allocation_preparation_errors");
        PreparationLatency = Histogram(meter, "allocation_preparation_latency_seconds", MetricBuckets.Fast);
        Runs = meter.CreateCounter<long>("allocation_runs");
        RunErrors = meter.CreateCounter<long>("allocation_run_errors");
        RunLatency = Histogram(meter, "allocation_run_latency_seconds", MetricBuckets.Customer);
        Finalizations = meter.CreateCounter<long>("allocation_finalizations");
        FinalizationErrors = meter.CreateCounter<long>("allocation_finalization_errors");
        FinalizationLatency = Histogram(meter, "allocation_finalization_latency_seconds", MetricBuckets.Fast);
        ScheduleLatency = Histogram(meter, "schedule_allocation_latency_seconds", MetricBuckets.Customer);
        CompletionLatency = Histogram(meter, "allocation_completion_latency_seconds", MetricBuckets.Customer);
        ProgressUpdates = meter.CreateCounter<long>("allocation_progress_updates");
        _completed = meter.CreateCounter<long>("allocations_completed");
    }

    public Counter<long> Fetched { get; }
    public Counter<long> Preparations { get; }
    public Counter<long> PreparationErrors { get; }
    public Histogram<double> PreparationLatency { get; }
    public Counter<long> Runs { get; }
    public Counter<long> RunErrors { get; }
    public Histogram<double> RunLatency { get; }
    public Counter<long> Finalizations { get; }
    public Counter<long> FinalizationErrors { get; }
    public Histogram<double> FinalizationLatency { get; }
    public Histogram<double> ScheduleLatency { get; }
    public Histogram<double> CompletionLatency { get; }
    public Counter<long> ProgressUpdates { get; }

    /// <summary>allocations_completed{outcome_code, failure_reason}: one {all, all} plus the specific pair, as upstream.</summary>
    public void Completed(AllocationOutcome outcome)
    {
        _completed.Add(1, new KeyValuePair<string, object?>("outcome_code", "all"), new KeyValuePair<string, object?>("failure_reason", "all"));
        var (code, reason) = outcome.Outcome == OutcomeCode.Success
            ? ("success", "none")
            : ("failure", outcome.FailureReason switch
            {
                AllocationFailureReason.InternalError or AllocationFailureReason.StartupFailedInternalError => "internal_error",
                AllocationFailureReason.FunctionExecutorTerminated => "function_executor_terminated",
                AllocationFailureReason.AllocationCancelled => "alloc_cancelled",
                AllocationFailureReason.FunctionError or AllocationFailureReason.FunctionTimeout or AllocationFailureReason.RequestError or AllocationFailureReason.Oom
                    or AllocationFailureReason.StartupFailedFunctionError or AllocationFailureReason.StartupFailedFunctionTimeout => "function_error",
                _ => "unknown",
            });
        _completed.Add(1, new KeyValuePair<string, object?>("outcome_code", code), new KeyValuePair<string, object?>("failure_reason", reason));
    }

    private static Histogram<double> Histogram(Meter meter, string name, IReadOnlyList<double> buckets) =>
        meter.CreateHistogram(name, unit: null, description: null, tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = buckets });
}

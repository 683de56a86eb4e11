using System.Diagnostics.Metrics;
using Executor.Metrics;
using Executor.Model;

namespace Executor.Allocations;

/// <summary>Allocation lifecycle instruments, upstream names.</summary>
public sealed class AllocationMetrics
{
    private static readonly (string Code, string Reason)[] PrecreatedOutcomes =
    [
        ("all", "all"), ("success", "none"), ("failure", "unknown"), ("failure", "function_error"), ("failure", "internal_error"),
        ("failure", "alloc_cancelled"), ("failure", "function_executor_terminated"),
    ];

    private readonly Counter<long> _completed;
    private long _preparing;
    private long _running;
    private long _finalizing;

    public AllocationMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(ExecutorMeter.Name);
        Fetched = meter.CreateCounter<long>("allocations_fetched", unit: null, description: "Allocations received from the Server");
        Preparations = meter.CreateCounter<long>("allocation_preparations", unit: null, description: "Allocation input preparations");
        PreparationErrors = meter.CreateCounter<long>("allocation_preparation_errors", unit: null, description: "Allocation input preparations that failed");
        PreparationLatency = Histogram(meter, "allocation_preparation_latency_seconds", "Time to prepare an allocation's inputs", MetricBuckets.Fast);
        Runs = meter.CreateCounter<long>("allocation_runs", unit: null, description: "Allocations run on function executors");
        RunErrors = meter.CreateCounter<long>("allocation_run_errors", unit: null, description: "Allocation runs that failed");
        RunLatency = Histogram(meter, "allocation_run_latency_seconds", "Time an allocation ran on its function executor", MetricBuckets.Customer);
        Finalizations = meter.CreateCounter<long>("allocation_finalizations", unit: null, description: "Allocation finalizations");
        FinalizationErrors = meter.CreateCounter<long>("allocation_finalization_errors", unit: null, description: "Allocation finalizations that failed");
        FinalizationLatency = Histogram(meter, "allocation_finalization_latency_seconds", "Time to finalize an allocation's outputs", MetricBuckets.Fast);
        ScheduleLatency = Histogram(meter, "schedule_allocation_latency_seconds", "Time from runnable to started", MetricBuckets.Customer);
        CompletionLatency = Histogram(meter, "allocation_completion_latency_seconds", "Time from received to result ready", MetricBuckets.Customer);
        ProgressUpdates = meter.CreateCounter<long>("allocation_progress_updates", unit: null, description: "Progress updates that reset an allocation's timeout");
        WatchReopens = meter.CreateCounter<long>("allocation_watch_reopens", unit: null, description: "State streams reopened after a transport failure");
        _completed = meter.CreateCounter<long>("allocations_completed", unit: null, description: "Completed allocations by outcome and failure reason");
        meter.CreateObservableGauge("allocations_getting_prepared", () => Interlocked.Read(ref _preparing), unit: null, description: "Allocations whose inputs are being prepared");
        meter.CreateObservableGauge("allocation_runs_in_progress", () => Interlocked.Read(ref _running), unit: null, description: "Allocations running on function executors");
        meter.CreateObservableGauge("allocations_finalizing", () => Interlocked.Read(ref _finalizing), unit: null, description: "Allocations whose outputs are being finalized");

        // The seven label combinations upstream creates at 0, and the other counters, exported from the start.
        foreach (var (code, reason) in PrecreatedOutcomes)
        {
            _completed.Add(0, new KeyValuePair<string, object?>("outcome_code", code), new KeyValuePair<string, object?>("failure_reason", reason));
        }

        foreach (var counter in new[] { Fetched, Preparations, PreparationErrors, Runs, RunErrors, Finalizations, FinalizationErrors })
        {
            counter.Add(0);
        }
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
    public Counter<long> WatchReopens { get; }

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

    private static Histogram<double> Histogram(Meter meter, string name, string description, IReadOnlyList<double> buckets) =>
        meter.CreateHistogram(name, unit: null, description: description, tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = buckets });

    public void PreparingChanged(long delta) => Interlocked.Add(ref _preparing, delta);

    public void RunningChanged(long delta) => Interlocked.Add(ref _running, delta);

    public void FinalizingChanged(long delta) => Interlocked.Add(ref _finalizing, delta);
}

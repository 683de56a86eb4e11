using System.Diagnostics.Metrics;

namespace Executor.Metrics;

/// <summary>Reconciler instruments, upstream names.</summary>
public sealed class ReconcilerMetrics
{
    private long _lastAllocations;
    private long _lastFunctionExecutors;

    public ReconcilerMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(ExecutorMeter.Name);
        StateReconciliations = meter.CreateCounter<long>("state_reconciliations", unit: null, description: "Desired states reconciled");
        StateReconciliationErrors = meter.CreateCounter<long>("state_reconciliation_errors", unit: null, description: "Desired states whose reconciliation failed");
        StateReconciliationLatency = meter.CreateHistogram("state_reconciliation_latency_seconds", unit: null, description: "Time to reconcile one desired state", tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricBuckets.Fast });
        RejectedAllocations = meter.CreateCounter<long>("desired_state_dropped_allocations", unit: null, description: "Allocations dropped because their FE is not in the desired state");
        StateReconciliations.Add(0);
        StateReconciliationErrors.Add(0);
        RejectedAllocations.Add(0);
        meter.CreateObservableGauge("last_desired_state_allocations", () => Interlocked.Read(ref _lastAllocations), unit: null, description: "Allocations in the last desired state");
        meter.CreateObservableGauge("last_desired_state_function_executors", () => Interlocked.Read(ref _lastFunctionExecutors), unit: null, description: "Function executors in the last desired state");
    }

    public Counter<long> StateReconciliations { get; }
    public Counter<long> StateReconciliationErrors { get; }
    public Histogram<double> StateReconciliationLatency { get; }
    public Counter<long> RejectedAllocations { get; }

    public void SetLastDesiredState(int allocations, int functionExecutors)
    {
        Interlocked.Exchange(ref _lastAllocations, allocations);
        Interlocked.Exchange(ref _lastFunctionExecutors, functionExecutors);
    }
}

using Executor.Grains;

namespace Executor.Server;

/// <summary>The silo's <see cref="IReportTrigger"/>: a one-way call to the ExecutorGrain, never awaited by I/O loops.</summary>
public sealed class ExecutorGrainReportTrigger(IGrainFactory grains) : IReportTrigger
{
    public void RequestReport() => _ = grains.GetGrain<IExecutorGrain>(ExecutorGrainKeys.Executor).RequestReportAsync();
}

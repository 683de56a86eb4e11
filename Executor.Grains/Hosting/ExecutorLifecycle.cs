using Executor.Configuration;
using Executor.FunctionExecutors.Processes;
using Executor.Grains;
using Executor.Logging;
using Executor.Reconciliation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Executor.Hosting;

/// <summary>
/// Starts the executor once the silo is active (orphans of a previous process reaped and host measured
/// before registering) and stops it first when the silo shuts down (SIGTERM/SIGINT): FEs terminated,
/// results flushed, STOPPED reported, while grains can still be called.
/// </summary>
public sealed partial class ExecutorLifecycle(
    IGrainFactory grains,
    OrphanFunctionExecutorReaper reaper,
    HostCapacitySource capacity,
    ExecutorIdentity identity,
    ExecutorReadiness readiness,
    IOptions<ExecutorOptions> options,
    Metrics.ExecutorInfoMetrics infoMetrics,
    FunctionExecutors.FunctionExecutorMetrics functionExecutorMetrics,
    Allocations.AllocationMetrics allocationMetrics,
    ILogger<ExecutorLifecycle> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly string _executorId = identity.ExecutorId;
    private readonly ContextLogger _logger = new(logger, LogContext.ForExecutor(identity.ExecutorId));

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(ExecutorLifecycle), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        // The orphan reaper and host measurement write their lines inside this scope.
        using var logScope = _logger.EnterScope();
        // Resolved for its side effect: the info/state/health instruments exist from the first scrape.
        _ = infoMetrics;
        _ = functionExecutorMetrics;
        _ = allocationMetrics;
        Directory.CreateDirectory(options.Value.ExpandedCachePath);
        var reaped = await reaper.ReapAsync(cancellationToken);
        if (reaped > 0)
        {
            LogReaped(_logger, reaped);
        }

        await capacity.InitializeAsync(cancellationToken);
        LogHostResources(_logger, capacity.Total.CpuCount, capacity.Total.MemoryBytes, capacity.Total.DiskBytes, capacity.Total.Gpu?.Count ?? 0);
        await grains.GetGrain<IExecutorGrain>(ExecutorGrainKeys.Executor).StartAsync();
        readiness.MarkReady();
        LogStarted(_logger, _executorId, ExecutorIdentity.Version);

        // Off the start path: the first report is out by then and the host has settled.
        _ = Task.Run(async () =>
        {
            await Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None).ConfigureAwait(false);
            if (!readiness.IsStopping)
            {
                StartupMemoryTrim.Run(options.Value.ReleaseStartupPages);
            }
        }, CancellationToken.None);
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        using var logScope = _logger.EnterScope();
        readiness.MarkStopping();
        try
        {
            await grains.GetGrain<IExecutorGrain>(ExecutorGrainKeys.Executor).ShutdownAsync(options.Value.ShutdownTimeout).WaitAsync(options.Value.ShutdownTimeout + TimeSpan.FromSeconds(5), CancellationToken.None);
        }
        catch (Exception ex)
        {
            LogShutdownFailed(_logger, ex);
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "killed {Count} function executor processes left by a previous executor process")]
    private static partial void LogReaped(ILogger logger, int count);

    [LoggerMessage(2, LogLevel.Information, "detected host resources: {Cpus} CPUs, {MemoryBytes} bytes memory, {DiskBytes} bytes disk, {Gpus} GPUs")]
    private static partial void LogHostResources(ILogger logger, uint cpus, ulong memoryBytes, ulong diskBytes, uint gpus);

    [LoggerMessage(3, LogLevel.Information, "executor {ExecutorId} (version {Version}) started")]
    private static partial void LogStarted(ILogger logger, string executorId, string version);

    [LoggerMessage(4, LogLevel.Error, "executor shutdown did not complete cleanly")]
    private static partial void LogShutdownFailed(ILogger logger, Exception exception);
}

using Orleans.Concurrency;
using Executor.Model;

namespace Executor.Grains;

/// <summary>
/// Owns this executor's conversation with the Server: registration, state reports and reconciliation
/// of desired states into FunctionExecutorGrains. One activation per silo, keyed by <see cref="ExecutorGrainKeys.Executor"/>.
/// </summary>
[Alias("Executor.IExecutorGrain")]
public interface IExecutorGrain : IGrainWithStringKey
{
    /// <summary>Starts reporting (status RUNNING) and, after the first accepted report, the desired-state stream.</summary>
    [Alias("Start")]
    Task StartAsync();

    /// <summary>Reconciles one complete desired-state snapshot.</summary>
    [Alias("ApplyDesiredState")]
    Task ApplyDesiredStateAsync(DesiredState desiredState);

    /// <summary>Reconciles the latest desired state again (after an FE shutdown completed, so an FE re-added meanwhile is created).</summary>
    [Alias("ReapplyDesiredState")]
    Task ReapplyDesiredStateAsync();

    /// <summary>An FE grain's new state and finished results. One-way so FE grains never wait on this grain.</summary>
    [Alias("OnFunctionExecutorUpdate"), OneWay, AlwaysInterleave]
    Task OnFunctionExecutorUpdateAsync(FunctionExecutorUpdate update);

    /// <summary>Asks for a report as soon as possible (coalesced with any report already due).</summary>
    [Alias("RequestReport"), OneWay, AlwaysInterleave]
    Task RequestReportAsync();

    /// <summary>Stops taking work while still reporting (status DRAINED).</summary>
    [Alias("Drain")]
    Task DrainAsync();

    /// <summary>Graceful stop: FEs terminated, results flushed, STOPPED reported.</summary>
    [Alias("Shutdown")]
    Task ShutdownAsync(TimeSpan timeout);

    [Alias("GetStatus"), AlwaysInterleave]
    Task<ExecutorStatusView> GetStatusAsync();
}

public static class ExecutorGrainKeys
{
    public const string Executor = "executor";
}

/// <summary>A small read-only view for probes and tests.</summary>
[GenerateSerializer, Immutable, Alias("Executor.Grains.ExecutorStatusView")]
public sealed record ExecutorStatusView
{
    [Id(0)] public ExecutorStatus Status { get; init; }
    [Id(1)] public bool Registered { get; init; }
    [Id(2)] public int FunctionExecutors { get; init; }
    [Id(3)] public int PendingResults { get; init; }
    [Id(4)] public int ActiveAllocations { get; init; }
    [Id(5)] public ulong ServerClock { get; init; }
    [Id(6)] public long DesiredStatesApplied { get; init; }
}

using Orleans.Concurrency;
using Executor.Model;

namespace Executor.Grains;

/// <summary>
/// Owns one Function Executor: its worker process, gRPC client, health, allocations and termination.
/// Keyed by the Server's FE id.
/// </summary>
[Alias("Executor.IFunctionExecutorGrain")]
public interface IFunctionExecutorGrain : IGrainWithStringKey
{
    /// <summary>
    /// Queues <paramref name="allocations"/> (those the Server placed together with the FE), then begins startup in the
    /// background (state PENDING) and returns at once. One call, so that even an instant startup failure blames them.
    /// </summary>
    [Alias("StartWithAllocations")]
    Task StartAsync(FunctionExecutorSpec spec, IReadOnlyList<AllocationSpec> allocations);

    /// <summary>Queues allocations (FIFO); they run once the FE is RUNNING, at most max_concurrency at a time.</summary>
    [Alias("AddAllocations")]
    Task AddAllocationsAsync(IReadOnlyList<AllocationSpec> allocations);

    /// <summary>Allocations the Server no longer wants: cancelled unless already finished.</summary>
    [Alias("RemoveAllocations")]
    Task RemoveAllocationsAsync(IReadOnlyList<string> allocationIds);

    /// <summary>Results of watched function calls from the latest desired state; each watcher gets one at most once.</summary>
    [Alias("DeliverFunctionCallResults")]
    Task DeliverFunctionCallResultsAsync(IReadOnlyList<FunctionCallResultSpec> results);

    /// <summary>The FE left the desired state (or the executor stops): terminate, then vanish from reports.</summary>
    [Alias("Shutdown")]
    Task ShutdownAsync();

    [Alias("GetState"), AlwaysInterleave]
    Task<FunctionExecutorStateView> GetStateAsync();
}

[GenerateSerializer, Immutable, Alias("Executor.Grains.FunctionExecutorStateView")]
public sealed record FunctionExecutorStateView
{
    [Id(0)] public required string FunctionExecutorId { get; init; }
    [Id(1)] public FunctionExecutorStatus Status { get; init; }
    [Id(2)] public FunctionExecutorTerminationReason? TerminationReason { get; init; }
    [Id(3)] public int? ProcessId { get; init; }
    [Id(4)] public int Running { get; init; }
    [Id(5)] public int Queued { get; init; }
    [Id(6)] public bool ShutDown { get; init; }
}

using Executor.Model;

namespace Executor.Server;

/// <summary>
/// The executor's protocol-neutral view of the Server. The v1 adapter speaks report_executor_state /
/// get_desired_executor_states / call_function; the v2 adapter heartbeats and polls commands and results; a
/// negotiating connection picks one per Server. Grains never see wire types.
/// </summary>
public interface IServerConnection
{
    /// <summary>Sends one report. Returns which results it carried; throws <see cref="ServerRpcException"/> when the Server did not accept it.</summary>
    Task<ReportReceipt> ReportAsync(ExecutorReport report, CancellationToken cancellationToken);

    /// <summary>Reads desired-state snapshots until the stream ends or fails.</summary>
    /// <exception cref="ExecutorNotRegisteredException">The Server does not know this executor (report first).</exception>
    IAsyncEnumerable<DesiredState> ReadDesiredStatesAsync(string executorId, TimeSpan idleTimeout, CancellationToken cancellationToken);

    /// <summary>Asks the Server to start a call graph; throws <see cref="ServerRpcException"/> on failure.</summary>
    Task CallFunctionAsync(FunctionCallRequestSpec request, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>Drops the shared channel after a failed report so the next call reconnects.</summary>
    void RecycleChannel();

    /// <summary>The last report attempted, as text (for /state/reported), or null.</summary>
    string? DescribeLastReport(bool json);

    /// <summary>The last desired state received, as text (for /state/desired), or null.</summary>
    string? DescribeLastDesiredState(bool json);
}

/// <summary>Everything one report says about the executor, plus the results it may carry.</summary>
public sealed record ExecutorReport
{
    public required string ExecutorId { get; init; }
    public required string Hostname { get; init; }
    public required string Version { get; init; }
    public ExecutorStatus Status { get; init; }
    public required HostCapacity TotalResources { get; init; }
    public required HostCapacity TotalFunctionExecutorResources { get; init; }
    public IReadOnlyList<FunctionRef> AllowedFunctions { get; init; } = [];
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public string? CatalogEntryName { get; init; }
    public IReadOnlyList<FunctionExecutorState> FunctionExecutors { get; init; } = [];

    /// <summary>
    /// The real TERMINATED states of FEs listed above with their last live status, because results of their
    /// allocations are not acknowledged yet (a v1 Server applies a termination before the results of the same report).
    /// A protocol without that hazard reports these instead.
    /// </summary>
    public IReadOnlyList<FunctionExecutorState> TerminationsHeldBack { get; init; } = [];

    /// <summary>The FE states with the held-back terminations put back in place.</summary>
    public IReadOnlyList<FunctionExecutorState> ActualFunctionExecutors()
    {
        if (TerminationsHeldBack.Count == 0)
        {
            return FunctionExecutors;
        }

        var held = TerminationsHeldBack.ToDictionary(s => s.FunctionExecutorId, StringComparer.Ordinal);
        return [.. FunctionExecutors.Select(s => held.GetValueOrDefault(s.FunctionExecutorId, s))];
    }
    public IReadOnlyList<FunctionCallWatch> Watches { get; init; } = [];
    public ulong ServerClock { get; init; }

    /// <summary>Unacknowledged results, oldest first; the adapter sends as many as fit, newest first.</summary>
    public IReadOnlyList<AllocationOutcome> Results { get; init; } = [];
}

/// <summary>Host totals as reported (GPU entry only when usable GPUs exist).</summary>
public sealed record HostCapacity(uint CpuCount, ulong MemoryBytes, ulong DiskBytes, GpuRequest? Gpu);

/// <summary>What a report carried: the ids of the results it delivered, and whether some did not fit.</summary>
public sealed record ReportReceipt(IReadOnlyList<string> DeliveredResultIds, bool ResultsLeftOver, int MessageBytes);

public class ServerRpcException(string message, Exception? inner = null, bool retriable = true) : Exception(message, inner)
{
    public bool Retriable { get; } = retriable;
}

public sealed class ExecutorNotRegisteredException(string message) : ServerRpcException(message);

/// <summary>
/// Nothing answered at the Server's address (connection refused or no route): the Server is down, not overloaded,
/// so retrying soon costs it nothing and gets a report in as soon as it is back.
/// </summary>
public sealed class ServerUnreachableException(string message, Exception? inner = null) : ServerRpcException(message, inner);

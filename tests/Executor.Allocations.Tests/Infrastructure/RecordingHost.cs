using System.Collections.Concurrent;
using Executor.Model;

namespace Executor.Allocations.Tests.Infrastructure;

/// <summary>The FE grain's side of a run: records the watches it adds and withdraws.</summary>
internal sealed class RecordingHost : IAllocationHost
{
    private readonly ConcurrentQueue<(string WatcherId, FunctionCallWatch Watch)> _added = new();
    private readonly ConcurrentQueue<string> _removed = new();

    public AllocationFailureReason FailureReasonForDeadExecutor => AllocationFailureReason.FunctionError;

    public IReadOnlyList<(string WatcherId, FunctionCallWatch Watch)> Added => [.. _added];

    public IReadOnlyList<string> Removed => [.. _removed];

    public void WatchAdded(AllocationRunner run, string watcherId, FunctionCallWatch watch) => _added.Enqueue((watcherId, watch));

    public void WatchRemoved(AllocationRunner run, string watcherId, FunctionCallWatch watch) => _removed.Enqueue(watcherId);
}

using Executor.Protocol.ServerV1;
using FakeIndexifyServer.Model;

namespace FakeIndexifyServer;

/// <summary>
/// Building desired states, placing waiting allocations, and publishing every change: as full snapshots (v1) or as
/// the commands that turn the content last issued into the new one (v2).
/// </summary>
public sealed partial class FakeServer
{
    /// <summary>The snapshot content for one executor, without the clock.</summary>
    private DesiredExecutorState BuildContent(ExecutorRecord executor)
    {
        var content = new DesiredExecutorState();
        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var fe in _functionExecutors.Values.Where(fe => fe.ExecutorId == executor.Id && !fe.DesiredTerminated).OrderBy(fe => fe.Order))
        {
            content.FunctionExecutors.Add(fe.Description.Clone());
            listed.Add(fe.Id);
        }

        // Only allocations of listed FEs are sent.
        foreach (var allocation in _liveAllocations.Values)
        {
            if (allocation.Phase == AllocationPhase.Placed && allocation.ExecutorId == executor.Id && listed.Contains(allocation.FunctionExecutorId))
            {
                content.Allocations.Add(allocation.Allocation.Clone());
            }
        }

        // Every watched call the fake can find, finished or not, repeated in every snapshot.
        var seen = new HashSet<FunctionCallKey>();
        foreach (var watch in executor.Watches)
        {
            var key = FunctionCallKey.From(watch);
            if (seen.Add(key) && _functionCalls.TryGetValue(key, out var outcome))
            {
                content.FunctionCallResults.Add(outcome.ToWire(key.Namespace, key.RequestId, key.FunctionCallId));
            }
        }

        return content;
    }

    private DesiredExecutorState BuildSnapshot(ExecutorRecord executor)
    {
        var snapshot = BuildContent(executor);
        snapshot.Clock = _clock;
        return snapshot;
    }

    /// <summary>
    /// Pushes a full snapshot to every stream (v1), or issues commands (v2), for every registered executor whose
    /// content changed. Plain heartbeats change nothing and push nothing. Called under the lock.
    /// </summary>
    private void PublishChanges(ulong? clockOverride = null)
    {
        var changed = new List<(ExecutorRecord Executor, DesiredExecutorState Content)>();
        foreach (var executor in _executors.Values)
        {
            if (!executor.IsRegistered)
            {
                continue;
            }

            var content = BuildContent(executor);
            if (!content.Equals(executor.LastPublishedContent))
            {
                changed.Add((executor, content));
            }
        }

        if (clockOverride is { } forced)
        {
            _clock = forced;
        }
        else if (changed.Count > 0 && !_repeatClockAcrossChanges)
        {
            _clock++;
        }

        foreach (var (executor, content) in changed)
        {
            if (_options.Protocol == ServerProtocol.V2)
            {
                IssueCommandsForChange(executor, executor.LastPublishedContent ?? new DesiredExecutorState(), content);
            }

            executor.LastPublishedContent = content;
            var snapshot = content.Clone();
            snapshot.Clock = _clock;
            foreach (var stream in executor.Streams)
            {
                stream.Offer(snapshot); // Shared and never mutated again.
            }
        }
    }

    /// <summary>Places waiting allocations on their FEs, at most max_concurrency per FE when capacity is enforced.</summary>
    private void PlaceQueuedAllocations()
    {
        var placedPerFunctionExecutor = new Dictionary<string, uint>(StringComparer.Ordinal);
        foreach (var allocation in _liveAllocations.Values)
        {
            if (allocation.Phase == AllocationPhase.Placed)
            {
                placedPerFunctionExecutor[allocation.FunctionExecutorId] = placedPerFunctionExecutor.GetValueOrDefault(allocation.FunctionExecutorId) + 1;
            }
        }

        foreach (var allocation in _liveAllocations.Values)
        {
            if (allocation.Phase != AllocationPhase.Queued
                || !_functionExecutors.TryGetValue(allocation.FunctionExecutorId, out var fe)
                || fe.DesiredTerminated
                || fe.ExecutorId != allocation.ExecutorId)
            {
                continue;
            }

            var placed = placedPerFunctionExecutor.GetValueOrDefault(fe.Id);
            if (_enforceFunctionExecutorCapacity && placed >= fe.Capacity)
            {
                continue;
            }

            allocation.Phase = AllocationPhase.Placed;
            placedPerFunctionExecutor[fe.Id] = placed + 1;
        }
    }
}

using Executor.Protocol.ServerV1;
using FakeIndexifyServer.Model;

namespace FakeIndexifyServer;

/// <summary>Liveness deadlines, deregistration (tombstoning) and the post-restart reaper.</summary>
public sealed partial class FakeServer
{
    private readonly List<Deregistration> _deregistrations = [];

    /// <summary>Timer tick: deregisters executors whose deadline passed, and runs the startup reaper once due.</summary>
    private void CheckLiveness()
    {
        var changed = false;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            var now = _time.GetUtcNow();
            foreach (var executor in _executors.Values.Where(e => e.IsRegistered && e.Deadline <= now).ToList())
            {
                Deregister(executor, DeregistrationCause.LivenessLapsed);
                changed = true;
            }

            if (_startupReaperDeadline is { } reaperDeadline && reaperDeadline <= now)
            {
                _startupReaperDeadline = null;
                changed |= ReapUnreturnedExecutors();
            }
        }

        if (changed)
        {
            _changes.Pulse();
        }
    }

    /// <summary>
    /// Tombstones an executor: runtime data and watches forgotten, streams ended with OK, its allocations failed
    /// with EXECUTOR_REMOVED and its FEs dropped. The next report registers it afresh. Called under the lock.
    /// </summary>
    private void Deregister(ExecutorRecord executor, DeregistrationCause cause)
    {
        executor.RuntimeData = null;
        executor.IsRegistered = false;
        executor.IsTombstoned = true;
        executor.Watches = [];
        executor.LastPublishedContent = null;
        executor.Commands.Reset(); // v2: the connection is gone; held polls answer empty
        executor.Results.Reset();
        executor.AckRegressed = false;
        EndStreams(executor, StreamEnding.Ok);
        AdvanceClockForEvent();

        foreach (var allocation in _liveAllocations.Values.Where(a => a.ExecutorId == executor.Id).ToList())
        {
            FailByServer(allocation, AllocationFailureReason.ExecutorRemoved, $"executor {executor.Id} deregistered ({cause})");
        }

        foreach (var fe in _functionExecutors.Values.Where(fe => fe.ExecutorId == executor.Id).ToList())
        {
            _functionExecutors.Remove(fe.Id);
        }

        _deregistrations.Add(new Deregistration(NextSequence(), _time.GetUtcNow(), executor.Id, cause));
        Log.ExecutorDeregistered(_logger, executor.Id, cause);

        // Other executors may receive placements freed by this one (none today), keep their snapshots current.
        PlaceQueuedAllocations();
        PublishChanges();
    }

    /// <summary>After a restart: executors still owning allocations that have not registered again are removed.</summary>
    private bool ReapUnreturnedExecutors()
    {
        var unreturned = _liveAllocations.Values
            .Select(a => a.ExecutorId)
            .Where(id => !_executors.TryGetValue(id, out var executor) || !executor.IsRegistered)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        foreach (var executorId in unreturned)
        {
            foreach (var allocation in _liveAllocations.Values.Where(a => a.ExecutorId == executorId).ToList())
            {
                FailByServer(allocation, AllocationFailureReason.ExecutorRemoved, $"executor {executorId} did not return after the restart");
            }

            _deregistrations.Add(new Deregistration(NextSequence(), _time.GetUtcNow(), executorId, DeregistrationCause.StartupReaper));
        }

        return unreturned.Count > 0;
    }

    /// <summary>Deregisters an executor now, as if its deadline had passed.</summary>
    public void DeregisterExecutor(string executorId)
    {
        lock (_gate)
        {
            if (_executors.TryGetValue(executorId, out var executor) && executor.IsRegistered)
            {
                Deregister(executor, DeregistrationCause.Forced);
            }
        }

        _changes.Pulse();
    }
}

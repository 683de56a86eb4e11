using Executor.Protocol.ServerV1;
using FakeIndexifyServer.Model;

namespace FakeIndexifyServer;

/// <summary>How reported FE states change the fake's books (server-contract §1.7). Runs only on state-change reports.</summary>
public sealed partial class FakeServer
{
    private readonly List<string> _confirmedGoneFunctionExecutors = [];
    private readonly List<string> _adoptedFunctionExecutors = [];
    private readonly List<ServerAllocationFailure> _serverFailures = [];

    private void ReconcileFunctionExecutors(ExecutorRecord executor, IEnumerable<FunctionExecutorState> reportedStates, bool isFirstProcessedRegistration)
    {
        var reportedIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var reported in reportedStates)
        {
            var description = reported.Description;
            reportedIds.Add(description.Id);
            var isTerminated = reported.Status == FunctionExecutorStatus.Terminated;
            if (_functionExecutors.TryGetValue(description.Id, out var known))
            {
                if (known.ExecutorId != executor.Id)
                {
                    continue; // Another executor's FE id; the fake does not move FEs between executors.
                }

                if (isTerminated)
                {
                    RemoveTerminatedFunctionExecutor(known, reported);
                }
                else if (!known.DesiredTerminated)
                {
                    known.ReportedStatus = reported.Status;
                }

                continue;
            }

            if (isTerminated)
            {
                continue; // Untracked and already gone: nothing to do.
            }

            var adopt = _adoptUntrackedFunctionExecutors && (_options.IsKnownFunction?.Invoke(description) ?? true);
            var adopted = new FunctionExecutorRecord(executor.Id, description.Clone(), ++_order)
            {
                Adopted = adopt,
                DesiredTerminated = !adopt, // Recorded but left out of desired states: the executor should stop it.
                ReportedStatus = reported.Status,
            };
            _functionExecutors.Add(description.Id, adopted);
            if (adopt)
            {
                _adoptedFunctionExecutors.Add(description.Id);
            }
        }

        // FEs only the server has: confirmed gone if the server wanted them gone, otherwise they stay desired.
        foreach (var serverOnly in _functionExecutors.Values.Where(fe => fe.ExecutorId == executor.Id && fe.DesiredTerminated && !reportedIds.Contains(fe.Id)).ToList())
        {
            _functionExecutors.Remove(serverOnly.Id);
            _confirmedGoneFunctionExecutors.Add(serverOnly.Id);
        }

        if (isFirstProcessedRegistration)
        {
            FailOrphanedAllocations(executor);
        }
    }

    /// <summary>Reported TERMINATED: the FE leaves the books and its remaining allocations fail.</summary>
    private void RemoveTerminatedFunctionExecutor(FunctionExecutorRecord fe, FunctionExecutorState reported)
    {
        _functionExecutors.Remove(fe.Id);
        if (fe.DesiredTerminated)
        {
            _confirmedGoneFunctionExecutors.Add(fe.Id);
        }

        var blamed = new HashSet<string>(reported.AllocationIdsCausedTermination, StringComparer.Ordinal);
        var blamedReason = TerminationReasons.ForBlamedAllocation(reported.TerminationReason);
        foreach (var allocation in LiveAllocationsOn(fe.ExecutorId, fe.Id))
        {
            var reason = blamed.Contains(allocation.Id) ? blamedReason : AllocationFailureReason.FunctionExecutorTerminated;
            FailByServer(allocation, reason, $"function executor {fe.Id} reported terminated ({reported.TerminationReason})");
        }
    }

    /// <summary>At a (re)registration, allocations whose FE neither side knows fail as if their FE terminated.</summary>
    private void FailOrphanedAllocations(ExecutorRecord executor)
    {
        foreach (var allocation in _liveAllocations.Values.Where(a => a.ExecutorId == executor.Id && !_functionExecutors.ContainsKey(a.FunctionExecutorId)).ToList())
        {
            FailByServer(allocation, AllocationFailureReason.FunctionExecutorTerminated, $"orphaned: function executor {allocation.FunctionExecutorId} unknown at registration");
        }
    }

    private List<AllocationRecord> LiveAllocationsOn(string executorId, string functionExecutorId) =>
        _liveAllocations.Values.Where(a => a.ExecutorId == executorId && a.FunctionExecutorId == functionExecutorId).ToList();

    private void FailByServer(AllocationRecord allocation, AllocationFailureReason reason, string cause)
    {
        MarkTerminal(allocation, AllocationPhase.FailedByServer);
        allocation.ServerFailureReason = reason;
        _serverFailures.Add(new ServerAllocationFailure(NextSequence(), _time.GetUtcNow(), allocation.Id, allocation.ExecutorId, allocation.Allocation.Clone(), reason, cause));
        Log.AllocationFailedByServer(_logger, allocation.Id, reason, cause);
    }

    private void MarkTerminal(AllocationRecord allocation, AllocationPhase phase)
    {
        allocation.Phase = phase;
        _liveAllocations.Remove(allocation.Order);
    }
}

using FakeIndexifyServer.Model;
using FakeIndexifyServer.Translation;
using V1 = Executor.Protocol.ServerV1;
using V2 = Executor.Protocol.ServerV2;

namespace FakeIndexifyServer;

/// <summary>
/// v2 commands, derived from the same desired-state content v1 pushes as snapshots: each change is diffed against
/// the content last issued to the executor and becomes removals, then adds, then allocations (the server's order).
/// </summary>
public sealed partial class FakeServer
{
    private readonly List<IssuedCommand> _issuedCommands = [];

    /// <summary>
    /// Puts <paramref name="command"/> verbatim in the executor's outbox with the next seq, without touching the fake's
    /// books (garbage or unexpected commands for fuzzing). Returns the seq, or 0 when the executor is not registered.
    /// </summary>
    public ulong PushRawCommand(string executorId, V2.Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        lock (_gate)
        {
            if (!_executors.TryGetValue(executorId, out var executor) || !executor.IsRegistered)
            {
                return 0;
            }

            return Issue(executor, command.Clone(), inFullBatch: false).Seq;
        }
    }

    /// <summary>Called under the lock, from <see cref="PublishChanges"/> in v2 mode.</summary>
    private void IssueCommandsForChange(ExecutorRecord executor, V1.DesiredExecutorState issued, V1.DesiredExecutorState wanted)
    {
        var issuedFunctionExecutors = issued.FunctionExecutors.ToDictionary(fe => fe.Id, StringComparer.Ordinal);
        var wantedFunctionExecutors = wanted.FunctionExecutors.ToDictionary(fe => fe.Id, StringComparer.Ordinal);

        foreach (var id in issuedFunctionExecutors.Keys.Where(id => !wantedFunctionExecutors.ContainsKey(id)).Order(StringComparer.Ordinal))
        {
            Issue(executor, new V2.Command { RemoveContainer = new V2.RemoveContainer { ContainerId = id } }, inFullBatch: false);
        }

        if (_emitKillAllocationOnCancel)
        {
            // Right after removals: a cancelled allocation frees its slot before new work is placed.
            var stillWanted = wanted.Allocations.Select(a => a.AllocationId).ToHashSet(StringComparer.Ordinal);
            foreach (var allocation in issued.Allocations)
            {
                if (!stillWanted.Contains(allocation.AllocationId)
                    && wantedFunctionExecutors.ContainsKey(allocation.FunctionExecutorId)
                    && _allocations.TryGetValue(allocation.AllocationId, out var record)
                    && record.ServerFailureReason == V1.AllocationFailureReason.AllocationCancelled)
                {
                    Issue(executor, new V2.Command { KillAllocation = new V2.KillAllocation { AllocationId = allocation.AllocationId } }, inFullBatch: false);
                }
            }
        }

        foreach (var id in wantedFunctionExecutors.Keys.Where(id => !issuedFunctionExecutors.ContainsKey(id)).Order(StringComparer.Ordinal))
        {
            Issue(executor, AddContainer(wantedFunctionExecutors[id]), inFullBatch: false);
        }

        var issuedAllocations = issued.Allocations.Select(a => a.AllocationId).ToHashSet(StringComparer.Ordinal);
        foreach (var allocation in wanted.Allocations.Where(a => !issuedAllocations.Contains(a.AllocationId)))
        {
            Issue(executor, RunAllocation(allocation), inFullBatch: false);
        }

        // An FE removed before the executor was ever told about it has nothing to stop: it is gone at once.
        foreach (var fe in _functionExecutors.Values
            .Where(fe => fe.ExecutorId == executor.Id && fe.DesiredTerminated && fe.ReportedStatus == V1.FunctionExecutorStatus.Unknown && !issuedFunctionExecutors.ContainsKey(fe.Id))
            .ToList())
        {
            _functionExecutors.Remove(fe.Id);
            _confirmedGoneFunctionExecutors.Add(fe.Id);
        }
    }

    /// <summary>After a re-registration the server still knows: AddContainer for every wanted FE, then RunAllocation for every placed allocation.</summary>
    private void IssueFullBatch(ExecutorRecord executor, V1.DesiredExecutorState content)
    {
        foreach (var fe in content.FunctionExecutors)
        {
            Issue(executor, AddContainer(fe), inFullBatch: true);
        }

        foreach (var allocation in content.Allocations)
        {
            Issue(executor, RunAllocation(allocation), inFullBatch: true);
        }
    }

    private V2.Command Issue(ExecutorRecord executor, V2.Command command, bool inFullBatch)
    {
        executor.Commands.Add(command);
        _issuedCommands.Add(new IssuedCommand(NextSequence(), _time.GetUtcNow(), executor.Id, command.Clone(), inFullBatch));
        return command;
    }

    private static V2.Command AddContainer(V1.FunctionExecutorDescription description) =>
        new() { AddContainer = new V2.AddContainer { Container = WireTranslation.ToV2(description) } };

    private static V2.Command RunAllocation(V1.Allocation allocation) =>
        new() { RunAllocation = new V2.RunAllocation { Allocation = WireTranslation.ToV2(allocation) } };
}

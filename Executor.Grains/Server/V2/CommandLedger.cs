using Executor.Model;
using Microsoft.Extensions.Logging;
using ProtoV2 = Executor.Protocol.ServerV2;

namespace Executor.Server.V2;

/// <summary>
/// Turns the Server's sequenced commands and function-call results into complete <see cref="DesiredState"/>
/// snapshots, the same ones the grains reconcile for v1. It holds the containers (AddContainer until RemoveContainer),
/// the allocations (RunAllocation until their outcome was delivered, so the grains keep wanting them), and the
/// results routed to a parent allocation (while that parent is here). Commands apply strictly in seq order, each once;
/// duplicates are no-ops. Not thread-safe: the connection calls it under its lock.
/// </summary>
internal sealed partial class CommandLedger(ILogger logger, FunctionExecutorDescriptionStore descriptions, int memory = 100_000)
{
    internal const string SnapshotsUnsupported = "snapshots are not supported by this executor";

    private readonly OrderedDictionary<string, Container> _containers = new(StringComparer.Ordinal);
    private readonly RecentIds _removedContainers = new(memory);
    private readonly OrderedDictionary<string, Allocation> _allocations = new(StringComparer.Ordinal);
    private readonly OrderedDictionary<string, AllocationOutcome> _rejected = new(StringComparer.Ordinal);
    private readonly RecentIds _finished = new(memory);
    private readonly Dictionary<string, OrderedDictionary<string, Result>> _results = new(StringComparer.Ordinal);

    public SeqCursor Commands { get; } = new();

    public SeqCursor Results { get; } = new();

    /// <summary>Grows with every change; the snapshots' clock (v2 has no Server clock).</summary>
    public ulong Version { get; private set; }

    /// <summary>Whether anything ever arrived (for /state/desired).</summary>
    public bool HasReceived { get; private set; }

    public IEnumerable<ProtoV2.ContainerDescription> ContainerWires => _containers.Values.Select(c => c.Wire);

    public IEnumerable<(ProtoV2.Allocation Wire, bool Cancelled)> AllocationWires => _allocations.Values.Select(a => (a.Wire, a.Cancelled));

    public IEnumerable<(string ParentAllocationId, ProtoV2.FunctionCallResult Wire)> ResultWires =>
        _results.SelectMany(p => p.Value.Values.Select(r => (p.Key, r.Wire)));

    public bool KnowsContainer(string id) => _containers.ContainsKey(id);

    /// <summary>After a full_state was accepted the Server numbers both streams from 1 again.</summary>
    public void ResetCursors()
    {
        Commands.Reset();
        Results.Reset();
    }

    public CommandBatch ApplyCommands(IEnumerable<ProtoV2.Command> commands)
    {
        var batch = new CommandBatch();
        foreach (var command in commands)
        {
            switch (Commands.Classify(command.Seq))
            {
                case SeqPosition.Seen:
                    batch.Skipped++;
                    continue;
                case SeqPosition.Gap:
                    // Everything below it is gone from the Server (it re-delivers all unacked commands, oldest first).
                    batch.GapAt = command.Seq;
                    LogCommandGap(logger, Commands.LastApplied + 1, command.Seq);
                    return batch;
            }

            Apply(command, batch);
            Commands.Advance(command.Seq);
            batch.Applied++;
            HasReceived = true;
        }

        if (batch.Changed)
        {
            Version++;
        }

        return batch;
    }

    private void Apply(ProtoV2.Command command, CommandBatch batch)
    {
        switch (command.CommandCase)
        {
            case ProtoV2.Command.CommandOneofCase.AddContainer:
                AddContainer(command.AddContainer.Container, batch);
                break;
            case ProtoV2.Command.CommandOneofCase.RemoveContainer:
                RemoveContainer(command.RemoveContainer.ContainerId, batch);
                break;
            case ProtoV2.Command.CommandOneofCase.RunAllocation:
                RunAllocation(command.Seq, command.RunAllocation.Allocation, batch);
                break;
            case ProtoV2.Command.CommandOneofCase.KillAllocation:
                KillAllocation(command.KillAllocation.AllocationId, batch);
                break;
            case ProtoV2.Command.CommandOneofCase.UpdateContainerDescription:
                // Only warm sandbox containers are updated; this executor runs no sandboxes.
                LogIgnoredUpdate(logger, command.UpdateContainerDescription.ContainerId);
                break;
            case ProtoV2.Command.CommandOneofCase.SnapshotContainer:
                var snapshot = command.SnapshotContainer;
                LogSnapshotRefused(logger, snapshot.ContainerId, snapshot.SnapshotId);
                batch.Responses.Add(new ProtoV2.CommandResponse
                {
                    SnapshotFailed = new ProtoV2.SnapshotFailed { ContainerId = snapshot.ContainerId, SnapshotId = snapshot.SnapshotId, ErrorMessage = SnapshotsUnsupported },
                });
                break;
            default:
                batch.Rejected++;
                LogEmptyCommand(logger, command.Seq);
                break;
        }
    }

    private void AddContainer(ProtoV2.ContainerDescription? description, CommandBatch batch)
    {
        var id = description is { HasId: true } ? description.Id : null;
        if (string.IsNullOrEmpty(id))
        {
            batch.Rejected++;
            LogInvalidContainer(logger, "(none)", "id is required");
            return;
        }

        if (_containers.ContainsKey(id))
        {
            // Re-sent in a full batch after re-registration, or echoed for an adopted PENDING container.
            return;
        }

        if (_removedContainers.Contains(id))
        {
            // Gone here already: say so, so the Server frees it instead of waiting for a start.
            batch.Responses.Add(Terminated(id, ProtoV2.ContainerTerminationReason.FunctionCancelled));
            return;
        }

        var v1 = WireMapping.AsV1(description!);
        if (IncomingSpecs.ValidateDescription(v1) is { } error)
        {
            // Never started: the Server hears it terminated at once (its allocations fail as on an unknown container).
            batch.Rejected++;
            LogInvalidContainer(logger, id, error);
            _removedContainers.Add(id);
            batch.Responses.Add(Terminated(id, ProtoV2.ContainerTerminationReason.StartupFailedInternalError));
            return;
        }

        _containers[id] = new Container(IncomingSpecs.ToSpec(v1), description!);
        descriptions.Remember(id, description!);
        batch.Changed = true;
    }

    private void RemoveContainer(string id, CommandBatch batch)
    {
        if (!_containers.Remove(id))
        {
            return;
        }

        // Its allocations stay: the grains report each one (CONTAINER_TERMINATED) once the FE is gone.
        _removedContainers.Add(id);
        batch.RemovedContainers.Add(id);
        batch.Changed = true;
    }

    private void RunAllocation(ulong seq, ProtoV2.Allocation? allocation, CommandBatch batch)
    {
        if (allocation is null)
        {
            batch.Rejected++;
            LogInvalidAllocation(logger, "(none)", "allocation is required");
            return;
        }

        var v1 = WireMapping.AsV1(allocation);
        var id = v1.HasAllocationId ? v1.AllocationId : string.Empty;
        if (id.Length > 0 && (_allocations.ContainsKey(id) || _rejected.ContainsKey(id) || _finished.Contains(id)))
        {
            return;
        }

        if (IncomingSpecs.ValidateAllocation(v1) is { } error)
        {
            batch.Rejected++;
            LogInvalidAllocation(logger, id.Length > 0 ? id : "(none)", error);
            if (IncomingSpecs.IsAnswerable(v1))
            {
                _rejected[id] = IncomingSpecs.Unrunnable(v1);
                batch.Changed = true;
            }

            return;
        }

        // A container this executor does not know still gets an answer: the grain fails the allocation.
        _allocations[id] = new Allocation(IncomingSpecs.ToSpec(v1), allocation, Cancelled: false);
        batch.Responses.Add(new ProtoV2.CommandResponse { CommandSeq = seq, AllocationScheduled = new ProtoV2.AllocationScheduled { AllocationId = id } });
        batch.Changed = true;
    }

    private void KillAllocation(string id, CommandBatch batch)
    {
        if (_allocations.TryGetValue(id, out var allocation) && !allocation.Cancelled)
        {
            _allocations[id] = allocation with { Cancelled = true };
            batch.Changed = true;
        }
    }

    public ResultBatch ApplyResults(IEnumerable<ProtoV2.SequencedAllocationResult> results)
    {
        var batch = new ResultBatch();
        foreach (var sequenced in results)
        {
            switch (Results.Classify(sequenced.Seq))
            {
                case SeqPosition.Seen:
                    continue;
                case SeqPosition.Gap:
                    // Results are pushed once and never re-sent: stopping here would stall every later one for good.
                    batch.GapFrom = Results.LastApplied + 1;
                    LogResultGap(logger, Results.LastApplied + 1, sequenced.Seq);
                    break;
            }

            Results.Advance(sequenced.Seq);
            HasReceived = true;
            batch.Applied++;
            var entry = sequenced.Entry;
            if (entry is not { EntryCase: ProtoV2.AllocationLogEntry.EntryOneofCase.FunctionCallResult })
            {
                batch.Rejected++;
                LogInvalidResult(logger, entry?.AllocationId ?? "(none)", "entry without function_call_result");
                continue;
            }

            if (!_allocations.ContainsKey(entry.AllocationId))
            {
                // The parent finished (or was never here): nobody is left to hand the result to.
                batch.Dropped++;
                LogResultForUnknownParent(logger, entry.AllocationId);
                continue;
            }

            if (IncomingSpecs.ReadFunctionCallResult(WireMapping.AsV1(entry.FunctionCallResult), out var error) is not { } spec)
            {
                batch.Rejected++;
                LogInvalidResult(logger, entry.AllocationId, error!);
                continue;
            }

            if (!_results.TryGetValue(entry.AllocationId, out var forParent))
            {
                _results[entry.AllocationId] = forParent = new OrderedDictionary<string, Result>(StringComparer.Ordinal);
            }

            forParent[spec.ResultKey] = new Result(spec, entry.FunctionCallResult);
            batch.Changed = true;
        }

        if (batch.Changed)
        {
            Version++;
        }

        return batch;
    }

    /// <summary>Outcomes the Server accepted: those allocations (and results routed to them) are done here.</summary>
    public bool OutcomesDelivered(IEnumerable<string> allocationIds)
    {
        var changed = false;
        foreach (var id in allocationIds)
        {
            var known = _allocations.Remove(id) | _rejected.Remove(id);
            _results.Remove(id);
            if (known)
            {
                _finished.Add(id);
                changed = true;
            }
        }

        if (changed)
        {
            Version++;
        }

        return changed;
    }

    public DesiredState Snapshot()
    {
        var allocations = new List<AllocationSpec>(_allocations.Count);
        List<AllocationSpec>? cancelled = null;
        foreach (var allocation in _allocations.Values)
        {
            if (allocation.Cancelled)
            {
                (cancelled ??= []).Add(allocation.Spec);
            }
            else
            {
                allocations.Add(allocation.Spec);
            }
        }

        return new DesiredState
        {
            FunctionExecutors = [.. _containers.Values.Select(c => c.Spec)],
            Allocations = allocations,
            CancelledAllocations = cancelled ?? [],
            RejectedAllocations = [.. _rejected.Values],
            FunctionCallResults = [.. _results.Values.SelectMany(r => r.Values.Select(v => v.Spec))],
            Clock = Version,
        };
    }

    private static ProtoV2.CommandResponse Terminated(string id, ProtoV2.ContainerTerminationReason reason) =>
        new() { ContainerTerminated = new ProtoV2.ContainerTerminated { ContainerId = id, Reason = reason } };

    private sealed record Container(FunctionExecutorSpec Spec, ProtoV2.ContainerDescription Wire);

    private sealed record Allocation(AllocationSpec Spec, ProtoV2.Allocation Wire, bool Cancelled);

    private sealed record Result(FunctionCallResultSpec Spec, ProtoV2.FunctionCallResult Wire);

    [LoggerMessage(1, LogLevel.Error, "received invalid AddContainer from Server, not starting it: {ContainerId}: {Reason}")]
    private static partial void LogInvalidContainer(ILogger logger, string containerId, string reason);

    [LoggerMessage(2, LogLevel.Error, "received invalid RunAllocation from Server: {AllocationId}: {Reason}")]
    private static partial void LogInvalidAllocation(ILogger logger, string allocationId, string reason);

    [LoggerMessage(3, LogLevel.Warning, "command {Seq} from Server carries nothing; skipping it")]
    private static partial void LogEmptyCommand(ILogger logger, ulong seq);

    [LoggerMessage(4, LogLevel.Debug, "ignoring UpdateContainerDescription for {ContainerId}: only sandboxes are updated")]
    private static partial void LogIgnoredUpdate(ILogger logger, string containerId);

    [LoggerMessage(5, LogLevel.Warning, "refusing SnapshotContainer {SnapshotId} for {ContainerId}: snapshots are not supported")]
    private static partial void LogSnapshotRefused(ILogger logger, string containerId, string snapshotId);

    [LoggerMessage(6, LogLevel.Error, "commands from seq {Expected} to {Received} are missing on the Server; asking for a full re-sync")]
    private static partial void LogCommandGap(ILogger logger, ulong expected, ulong received);

    [LoggerMessage(7, LogLevel.Error, "function call results from seq {Expected} up to {Received} (exclusive) are missing on the Server; continuing with the later ones")]
    private static partial void LogResultGap(ILogger logger, ulong expected, ulong received);

    [LoggerMessage(8, LogLevel.Error, "received invalid function call result for allocation {AllocationId}, ignoring it: {Reason}")]
    private static partial void LogInvalidResult(ILogger logger, string allocationId, string reason);

    [LoggerMessage(9, LogLevel.Debug, "function call result for allocation {AllocationId}, which is not here (any more); dropping it")]
    private static partial void LogResultForUnknownParent(ILogger logger, string allocationId);
}

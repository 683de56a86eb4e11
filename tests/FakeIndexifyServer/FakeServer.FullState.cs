using FakeIndexifyServer.Model;
using FakeIndexifyServer.Translation;
using FakeIndexifyServer.Validation;
using V1 = Executor.Protocol.ServerV1;
using V2 = Executor.Protocol.ServerV2;

namespace FakeIndexifyServer;

/// <summary>
/// v2 registration: a heartbeat carrying full_state (re)registers the executor, restarts both outboxes at seq 1,
/// issues the full batch, and reconciles the reported containers (indexify-v2 notes §1).
/// </summary>
public sealed partial class FakeServer
{
    /// <summary>Called under the lock.</summary>
    private void RegisterFromFullState(ExecutorRecord executor, V2.DataplaneStateFullSync fullState, HeartbeatIngestion ingestion)
    {
        var wasKnown = executor.IsRegistered;
        var reported = new List<V1.FunctionExecutorState>();
        foreach (var container in fullState.ContainerStates)
        {
            if (FullStateValidator.FindContainerError(container) is { } malformed)
            {
                ingestion.Ignore(malformed); // skipped and counted; the heartbeat still succeeds
                continue;
            }

            reported.Add(WireTranslation.ToV1(container));
        }

        AdvanceClockForEvent();
        executor.StateChangeReportCount++;
        executor.WrittenState = WireTranslation.ToV1(executor.Id, fullState, reported);
        if (!wasKnown)
        {
            executor.IsRegistered = true;
            executor.IsTombstoned = false;
            executor.RegistrationCount++;
            Log.ExecutorRegistered(_logger, executor.Id, executor.RegistrationCount);
        }

        // Undelivered commands and results are gone; numbering restarts at 1.
        executor.Commands.Reset();
        executor.Results.Reset();
        executor.AckRegressed = false;

        // The full batch is the server's view before it looks at the report. A first registration (new id, after a
        // lapse or a server restart) has no view yet, so its batch is empty and work follows as ordinary commands.
        var baseline = wasKnown ? BuildContent(executor) : new V1.DesiredExecutorState();
        baseline.FunctionCallResults.Clear();
        if (wasKnown)
        {
            IssueFullBatch(executor, baseline);
        }

        // Containers the executor runs need no AddContainer; running ones the server does not want get a RemoveContainer.
        var listed = baseline.FunctionExecutors.Select(fe => fe.Id).ToHashSet(StringComparer.Ordinal);
        var live = new HashSet<string>(StringComparer.Ordinal);
        foreach (var state in reported.Where(s => s.Status != V1.FunctionExecutorStatus.Terminated))
        {
            live.Add(state.Description.Id);
            if (listed.Add(state.Description.Id))
            {
                baseline.FunctionExecutors.Add(state.Description.Clone());
            }
        }

        if (!wasKnown)
        {
            // After a server restart, allocations on containers the executor still runs stay; they are not sent again.
            var listedAllocations = baseline.Allocations.Select(a => a.AllocationId).ToHashSet(StringComparer.Ordinal);
            foreach (var allocation in _liveAllocations.Values.Where(a => a.Phase == AllocationPhase.Placed && a.ExecutorId == executor.Id && live.Contains(a.FunctionExecutorId)))
            {
                if (listedAllocations.Add(allocation.Id))
                {
                    baseline.Allocations.Add(allocation.Allocation.Clone());
                }
            }
        }

        var adoptedBefore = _adoptedFunctionExecutors.Count;
        ReconcileFunctionExecutors(executor, reported, isFirstProcessedRegistration: !wasKnown);

        // An adopted PENDING container gets an AddContainer for its own id back (the executor must take it as a no-op).
        foreach (var adoptedId in _adoptedFunctionExecutors.Skip(adoptedBefore))
        {
            if (reported.Any(s => s.Description.Id == adoptedId && s.Status == V1.FunctionExecutorStatus.Pending))
            {
                var index = baseline.FunctionExecutors.ToList().FindIndex(fe => fe.Id == adoptedId);
                if (index >= 0)
                {
                    baseline.FunctionExecutors.RemoveAt(index);
                }
            }
        }

        executor.LastPublishedContent = baseline;
    }
}

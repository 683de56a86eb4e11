using FakeIndexifyServer.Model;
using FakeIndexifyServer.Translation;
using FakeIndexifyServer.Validation;
using V1 = Executor.Protocol.ServerV1;
using V2 = Executor.Protocol.ServerV2;

namespace FakeIndexifyServer;

/// <summary>v2 command responses and allocation outcomes, ingested through the same books as v1 reports.</summary>
public sealed partial class FakeServer
{
    /// <summary>Called under the lock.</summary>
    private void IngestCommandResponse(ExecutorRecord executor, V2.CommandResponse response, HeartbeatIngestion ingestion)
    {
        switch (response.ResponseCase)
        {
            case V2.CommandResponse.ResponseOneofCase.ContainerStarted:
                var startedId = response.ContainerStarted.ContainerId;
                if (startedId.Length == 0)
                {
                    ingestion.Reject("ContainerStarted container_id is empty");
                }
                else if (TrackedOn(executor, startedId) is { DesiredTerminated: false } started)
                {
                    started.ReportedStatus = V1.FunctionExecutorStatus.Running;
                }

                break;
            case V2.CommandResponse.ResponseOneofCase.ContainerTerminated:
                var terminatedId = response.ContainerTerminated.ContainerId;
                if (terminatedId.Length == 0)
                {
                    ingestion.Reject("ContainerTerminated container_id is empty");
                }
                else if (TrackedOn(executor, terminatedId) is { } terminated)
                {
                    MarkContainerTerminated(terminated);
                }

                break;
            case V2.CommandResponse.ResponseOneofCase.AllocationScheduled:
                break; // only logged by the server
            case V2.CommandResponse.ResponseOneofCase.SnapshotCompleted:
                var completed = response.SnapshotCompleted;
                if (completed.SnapshotId.Length == 0 || completed.SnapshotUri.Length == 0)
                {
                    ingestion.Reject($"SnapshotCompleted missing {(completed.SnapshotId.Length == 0 ? "snapshot_id" : "snapshot_uri")}");
                }

                break; // the fake takes no snapshots: an unknown snapshot id is only logged by the server
            case V2.CommandResponse.ResponseOneofCase.SnapshotFailed:
                if (response.SnapshotFailed.SnapshotId.Length == 0)
                {
                    ingestion.Reject("SnapshotFailed missing snapshot_id");
                }

                break;
            default:
                ingestion.Reject("CommandResponse missing response");
                break;
        }
    }

    /// <summary>
    /// Required fields first (missing ones make the item malformed), then the lookup (unknown: a no-op), then the
    /// payload conversion (a failure fails the heartbeat), then the same exactly-once ingestion as v1 results.
    /// Called under the lock.
    /// </summary>
    private void IngestOutcome(ExecutorRecord executor, V2.AllocationOutcome outcome, HeartbeatIngestion ingestion)
    {
        if (OutcomeValidator.FindMissingField(outcome) is { } missing)
        {
            ingestion.Reject(missing);
            return;
        }

        var result = WireTranslation.ToV1(outcome);
        if (!_allocations.TryGetValue(result.AllocationId, out var allocation) || !allocation.Matches(result))
        {
            ingestion.Unknown.Add(result.AllocationId);
            return;
        }

        if (AllocationResultValidator.FindOutputError(result, requireRootFunctionCallId: false) is { } conversionError)
        {
            ingestion.Reject($"allocation {result.AllocationId}: {conversionError}");
            return;
        }

        var wasLive = allocation.IsLive;
        ApplyResult(result, ingestion.Accepted, ingestion.Duplicates, ingestion.Unknown);
        if (!wasLive || allocation.IsLive)
        {
            return;
        }

        RouteChildOutcome(allocation, result, ingestion);

        // Naming the container marks it terminated on the server, which then sends RemoveContainer for it.
        if (outcome.OutcomeCase == V2.AllocationOutcome.OutcomeOneofCase.Failed
            && outcome.Failed.HasContainerId
            && TrackedOn(executor, outcome.Failed.ContainerId) is { } container)
        {
            MarkContainerTerminated(container);
        }
    }

    /// <summary>
    /// v2 container termination is lifecycle only: the FE leaves the books (and so the desired content, which issues a
    /// RemoveContainer), but its allocations stay until the executor reports each of them.
    /// </summary>
    private void MarkContainerTerminated(FunctionExecutorRecord fe)
    {
        _functionExecutors.Remove(fe.Id);
        if (fe.DesiredTerminated)
        {
            _confirmedGoneFunctionExecutors.Add(fe.Id);
        }
    }

    private FunctionExecutorRecord? TrackedOn(ExecutorRecord executor, string functionExecutorId) =>
        _functionExecutors.TryGetValue(functionExecutorId, out var fe) && fe.ExecutorId == executor.Id ? fe : null;
}

using Executor.Protocol.ServerV2;
using FakeIndexifyServer.Tests.Infrastructure;
using Grpc.Core;
using Xunit;
using V1 = Executor.Protocol.ServerV1;

namespace FakeIndexifyServer.Tests;

/// <summary>v2 outcomes land in the same books as v1 results; malformed items are skipped, other failures fail the heartbeat after the rest.</summary>
public sealed class V2OutcomeTests
{
    [Fact]
    public async Task Outcomes_are_accepted_once_as_the_same_results_v1_tests_read()
    {
        await using var harness = await Harness.StartV2Async();
        await harness.RegisterV2Async("exec-1");
        var server = harness.Server;
        var fe = server.AddFunctionExecutor("exec-1", server.NewFunctionExecutor("ns", "app", "fn", maxConcurrency: 2));
        var succeeded = server.AddAllocation(server.NewAllocation(fe));
        var failed = server.AddAllocation(server.NewAllocation(fe));
        var heartbeat = V2Messages.Heartbeat("exec-1");
        heartbeat.AllocationOutcomes.Add(V2Messages.Completed(succeeded));
        heartbeat.AllocationOutcomes.Add(V2Messages.Failed(failed, AllocationFailureReason.StartupFailedBadImage));
        var ghost = V2Messages.Completed(succeeded);
        ghost.Completed.AllocationId = "unknown-allocation";
        heartbeat.AllocationOutcomes.Add(ghost);

        await harness.HeartbeatAsync(heartbeat);

        var success = await server.WaitForResultAsync(succeeded.AllocationId);
        Assert.Equal((V1.AllocationOutcomeCode.Success, 7ul), (success.OutcomeCode, success.ExecutionDurationMs));
        Assert.Equal(succeeded.RequestDataPayloadUriPrefix + "/out", success.Value.Uri);
        Assert.Equal((succeeded.FunctionCallId, succeeded.RequestId), (success.FunctionCallId, success.RequestId));
        var failure = await server.WaitForResultAsync(failed.AllocationId);
        Assert.Equal(V1.AllocationOutcomeCode.Failure, failure.OutcomeCode);
        Assert.Equal(V1.AllocationFailureReason.StartupFailedInternalError, failure.FailureReason); // BAD_IMAGE has no v1 value
        var report = server.Reports[^1];
        Assert.Equal([succeeded.AllocationId, failed.AllocationId], report.AcceptedAllocationIds);
        Assert.Equal(["unknown-allocation"], report.UnknownAllocationIds);
        Assert.Equal(3, report.AllocationResults.Count);

        // Sent again (e.g. the answer was lost): ignored as a duplicate.
        await harness.HeartbeatAsync(heartbeat);
        var stats = server.GetReportStats(succeeded.AllocationId);
        Assert.Equal((2, 0, 1), (stats.TimesReported, stats.TimesInRejectedReports, stats.DuplicateCount));
        Assert.Equal(success, stats.AcceptedResult);
    }

    [Fact]
    public async Task Malformed_outcomes_are_skipped_while_other_item_failures_fail_the_heartbeat_after_the_rest()
    {
        await using var harness = await Harness.StartV2Async();
        await harness.RegisterV2Async("exec-1");
        var server = harness.Server;
        var fe = server.AddFunctionExecutor("exec-1", server.NewFunctionExecutor("ns", "app", "fn", maxConcurrency: 3));
        var noCallId = server.AddAllocation(server.NewAllocation(fe));
        var noUri = server.AddAllocation(server.NewAllocation(fe));
        var good = server.AddAllocation(server.NewAllocation(fe));

        var heartbeat = V2Messages.Heartbeat("exec-1");
        var malformed = V2Messages.Completed(noCallId);
        malformed.Completed.ClearFunctionCallId();
        var poisoned = V2Messages.Completed(noUri);
        poisoned.Completed.Value.ClearUri();
        var unknownPoisoned = V2Messages.Completed(noUri);
        unknownPoisoned.Completed.AllocationId = "unknown-allocation"; // looked up first: a no-op, not a failure
        unknownPoisoned.Completed.Value.ClearUri();
        heartbeat.AllocationOutcomes.Add(malformed);
        heartbeat.AllocationOutcomes.Add(poisoned);
        heartbeat.AllocationOutcomes.Add(unknownPoisoned);
        heartbeat.AllocationOutcomes.Add(V2Messages.Completed(good));

        var error = await Assert.ThrowsAsync<RpcException>(() => harness.HeartbeatAsync(heartbeat));

        Assert.Equal((StatusCode.Internal, "heartbeat ingestion failed for 1 report item(s)"), (error.StatusCode, error.Status.Detail));
        Assert.NotNull(server.GetAcceptedResult(good.AllocationId)); // the rest was still processed
        Assert.Null(server.GetAcceptedResult(noCallId.AllocationId));
        Assert.Null(server.GetAcceptedResult(noUri.AllocationId));
        var received = server.Heartbeats[^1];
        Assert.Equal(["AllocationCompleted missing function_call_id"], received.SkippedItems);
        Assert.Contains("uri is required", Assert.Single(received.FailedItems), StringComparison.Ordinal);
        Assert.Equal(1, server.GetReportStats(good.AllocationId).TimesInRejectedReports);

        // The executor resends the batch without the poison item: applied items are duplicates, the malformed one stays skipped.
        heartbeat.AllocationOutcomes.RemoveAt(1);
        await harness.HeartbeatAsync(heartbeat);
        Assert.Equal(1, server.GetReportStats(good.AllocationId).DuplicateCount);
        Assert.Null(server.GetAcceptedResult(noCallId.AllocationId));
    }

    [Fact]
    public async Task Malformed_command_responses_are_skipped_and_unknown_containers_are_ignored()
    {
        await using var harness = await Harness.StartV2Async();
        await harness.RegisterV2Async("exec-1");
        var heartbeat = V2Messages.Heartbeat("exec-1");
        heartbeat.CommandResponses.Add(new CommandResponse { CommandSeq = 3 });
        heartbeat.CommandResponses.Add(new CommandResponse { SnapshotCompleted = new SnapshotCompleted { ContainerId = "c", SnapshotUri = "s3://x" } });
        heartbeat.CommandResponses.Add(V2Messages.Started("never-placed"));
        heartbeat.CommandResponses.Add(new CommandResponse { CommandSeq = 1, AllocationScheduled = new AllocationScheduled { AllocationId = "a" } });

        var answer = await harness.HeartbeatAsync(heartbeat);

        Assert.False(answer.SendState);
        Assert.Equal(["CommandResponse missing response", "SnapshotCompleted missing snapshot_id"], harness.Server.Heartbeats[^1].SkippedItems);
        Assert.Empty(harness.Server.Heartbeats[^1].FailedItems);
    }
}

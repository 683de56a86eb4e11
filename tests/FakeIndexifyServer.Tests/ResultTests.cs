using Executor.Protocol.ServerV1;
using FakeIndexifyServer.Tests.Infrastructure;
using Grpc.Core;
using Xunit;

namespace FakeIndexifyServer.Tests;

public sealed class ResultTests
{
    [Fact]
    public async Task A_result_is_accepted_once_and_leaves_the_desired_state()
    {
        await using var harness = await Harness.StartAsync();
        var (stream, _) = await harness.RegisterAndStreamAsync("exec-1");
        await using var _s = stream;
        var fe = harness.Server.AddFunctionExecutor("exec-1", harness.Server.NewFunctionExecutor("ns", "app", "fn"));
        var allocation = harness.Server.AddAllocation(harness.Server.NewAllocation(fe));
        await stream.NextMatchingAsync(s => s.Allocations.Count == 1);

        var result = Reports.Success(allocation);
        await harness.ReportAsync(Reports.Valid("exec-1", results: [result]));
        await harness.ReportAsync(Reports.Valid("exec-1", results: [result])); // duplicate: accepted and ignored

        Assert.Equal(result, await harness.Server.WaitForResultAsync(allocation.AllocationId));
        Assert.Empty((await stream.NextMatchingAsync(s => s.Allocations.Count == 0)).Allocations);
        var stats = harness.Server.GetReportStats(allocation.AllocationId);
        Assert.Equal((2, 0, 1, true), (stats.TimesReported, stats.TimesInRejectedReports, stats.DuplicateCount, stats.Accepted));
        Assert.Single(harness.Server.AcceptedResults);
        Assert.Equal([allocation.AllocationId], harness.Server.Reports[^1].DuplicateAllocationIds);

        // The accepted result also completes the allocation's function call.
        var outcome = harness.Server.GetFunctionCallOutcome("ns", "app", allocation.RequestId, allocation.FunctionCallId);
        Assert.Equal(AllocationOutcomeCode.Success, outcome!.Code);
    }

    [Fact]
    public async Task Results_for_unknown_allocations_are_skipped_but_the_report_succeeds()
    {
        await using var harness = await Harness.StartAsync();
        var fe = harness.Server.NewFunctionExecutor("ns", "app", "fn");
        var stranger = harness.Server.NewAllocation(fe);

        await harness.ReportAsync(Reports.Valid("exec-1", results: [Reports.Success(stranger)]));

        var report = Assert.Single(harness.Server.Reports);
        Assert.Equal([stranger.AllocationId], report.UnknownAllocationIds);
        Assert.Empty(harness.Server.AcceptedResults);
    }

    public static TheoryData<string> MalformedResults => new() { "no-function", "bad-outcome", "value-no-sha", "value-no-encoding", "error-no-uri", "tail-call-no-root", "tail-call-no-op" };

    [Theory]
    [MemberData(nameof(MalformedResults))]
    public async Task A_malformed_result_fails_the_whole_report_with_internal_and_records_nothing(string defect)
    {
        await using var harness = await Harness.StartAsync();
        await harness.ReportAsync(Reports.Valid("exec-1", stateHash: "h0"));
        var fe = harness.Server.AddFunctionExecutor("exec-1", harness.Server.NewFunctionExecutor("ns", "app", "fn", maxConcurrency: 2));
        var good = harness.Server.AddAllocation(harness.Server.NewAllocation(fe));
        var bad = harness.Server.AddAllocation(harness.Server.NewAllocation(fe));
        var badResult = Reports.Success(bad);
        switch (defect)
        {
            case "no-function": badResult.Function = null; break;
            case "bad-outcome": badResult.OutcomeCode = (AllocationOutcomeCode)42; break;
            case "value-no-sha": badResult.Value.ClearSha256Hash(); break;
            case "value-no-encoding": badResult.Value.ClearEncoding(); break;
            case "error-no-uri": badResult.RequestError = new DataPayload { Size = 1, Sha256Hash = "x", Encoding = DataPayloadEncoding.Utf8Text }; break;
            case "tail-call-no-root": badResult.Updates = new ExecutionPlanUpdates(); break;
            case "tail-call-no-op":
                badResult.Updates = new ExecutionPlanUpdates { RootFunctionCallId = "root" };
                badResult.Updates.Updates.Add(new ExecutionPlanUpdate());
                break;
        }

        // The same report terminates the FE: that must not be applied either.
        var report = Reports.Valid("exec-1", stateHash: "h1", functionExecutors: [Reports.Terminated(fe, FunctionExecutorTerminationReason.Oom)], results: [Reports.Success(good), badResult]);
        var error = await Assert.ThrowsAsync<RpcException>(() => harness.ReportAsync(report));

        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Empty(harness.Server.AcceptedResults);
        Assert.Empty(harness.Server.ServerFailures);
        Assert.Equal(2, harness.Server.GetDesiredState("exec-1")!.Allocations.Count);
        Assert.Equal(1, harness.Server.GetReportStats(good.AllocationId).TimesInRejectedReports);

        // Quirk: hash and clock were stored before the results failed, so the retry is not a state change.
        var retry = Reports.Valid("exec-1", stateHash: "h1", results: [Reports.Success(good)]);
        await harness.ReportAsync(retry);
        Assert.False(harness.Server.Reports[^1].WasStateChange);
        Assert.NotNull(harness.Server.GetAcceptedResult(good.AllocationId));
    }

    [Fact]
    public async Task A_terminated_function_executor_fails_its_allocations_blamed_ones_with_the_mapped_reason()
    {
        await using var harness = await Harness.StartAsync();
        var (stream, _) = await harness.RegisterAndStreamAsync("exec-1");
        await using var _s = stream;
        var fe = harness.Server.AddFunctionExecutor("exec-1", harness.Server.NewFunctionExecutor("ns", "app", "fn", maxConcurrency: 2));
        var blamed = harness.Server.AddAllocation(harness.Server.NewAllocation(fe));
        var bystander = harness.Server.AddAllocation(harness.Server.NewAllocation(fe));
        await stream.NextMatchingAsync(s => s.Allocations.Count == 2);

        // Without a hash change the FE list is not reconciled.
        await harness.ReportAsync(Reports.Valid("exec-1", functionExecutors: [Reports.Terminated(fe, FunctionExecutorTerminationReason.Unhealthy, blamed.AllocationId)]));
        Assert.Empty(harness.Server.ServerFailures);

        // A late SUCCESS in the same report loses to the FE termination (ordering hazard).
        await harness.ReportAsync(Reports.Valid(
            "exec-1",
            stateHash: "hash-2",
            functionExecutors: [Reports.Terminated(fe, FunctionExecutorTerminationReason.Unhealthy, blamed.AllocationId)],
            results: [Reports.Success(bystander)]));

        Assert.Equal(AllocationFailureReason.FunctionTimeout, (await harness.Server.WaitForServerFailureAsync(blamed.AllocationId)).Reason);
        Assert.Equal(AllocationFailureReason.FunctionExecutorTerminated, (await harness.Server.WaitForServerFailureAsync(bystander.AllocationId)).Reason);
        Assert.Null(harness.Server.GetAcceptedResult(bystander.AllocationId));
        Assert.Equal(1, harness.Server.GetReportStats(bystander.AllocationId).DuplicateCount);
        var after = await stream.NextMatchingAsync(s => s.FunctionExecutors.Count == 0);
        Assert.Empty(after.Allocations);
    }

    [Fact]
    public async Task Untracked_live_function_executors_are_adopted_unless_disabled()
    {
        await using var harness = await Harness.StartAsync();
        var known = harness.Server.NewFunctionExecutor("ns", "app", "fn");

        await harness.ReportAsync(Reports.Valid("exec-1", functionExecutors: [Reports.Running(known)]));
        Assert.Equal(known, Assert.Single(harness.Server.GetDesiredState("exec-1")!.FunctionExecutors));
        Assert.Equal([known.Id], harness.Server.AdoptedFunctionExecutorIds);

        harness.Server.AdoptUntrackedFunctionExecutors = false;
        var other = harness.Server.NewFunctionExecutor("ns", "app", "fn2");
        await harness.ReportAsync(Reports.Valid("exec-1", stateHash: "hash-2", functionExecutors: [Reports.Running(known), Reports.Running(other)]));
        Assert.DoesNotContain(harness.Server.GetDesiredState("exec-1")!.FunctionExecutors, d => d.Id == other.Id);

        // Once the executor stops listing the refused FE, it counts as gone.
        await harness.ReportAsync(Reports.Valid("exec-1", stateHash: "hash-3", functionExecutors: [Reports.Running(known)]));
        await harness.Server.WaitForFunctionExecutorGoneAsync(other.Id);
    }

    [Fact]
    public async Task Server_initiated_removal_and_cancellation_drop_entries_from_the_desired_state()
    {
        await using var harness = await Harness.StartAsync();
        var (stream, _) = await harness.RegisterAndStreamAsync("exec-1");
        await using var _s = stream;
        var fe = harness.Server.AddFunctionExecutor("exec-1", harness.Server.NewFunctionExecutor("ns", "app", "fn"));
        var allocation = harness.Server.AddAllocation(harness.Server.NewAllocation(fe));
        await stream.NextMatchingAsync(s => s.Allocations.Count == 1);

        harness.Server.CancelAllocation(allocation.AllocationId);
        await stream.NextMatchingAsync(s => s.Allocations.Count == 0 && s.FunctionExecutors.Count == 1);
        await harness.ReportAsync(Reports.Valid("exec-1", results: [Reports.Failure(allocation, AllocationFailureReason.AllocationCancelled)]));
        Assert.Equal(1, harness.Server.GetReportStats(allocation.AllocationId).DuplicateCount);

        harness.Server.RemoveFunctionExecutor(fe.Id);
        await stream.NextMatchingAsync(s => s.FunctionExecutors.Count == 0);
        Assert.Empty(harness.Server.ConfirmedGoneFunctionExecutorIds);
        await harness.ReportAsync(Reports.Valid("exec-1", stateHash: "hash-2", functionExecutors: [Reports.Terminated(fe, FunctionExecutorTerminationReason.Unknown)]));
        await harness.Server.WaitForFunctionExecutorGoneAsync(fe.Id);
    }
}

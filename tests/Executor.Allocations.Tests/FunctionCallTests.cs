using System.Text;
using Executor.Allocations.Tests.Infrastructure;
using Executor.Protocol.ServerV1;
using Executor.TestHost;
using FakeIndexifyServer;
using Grpc.Core;
using TestFunctionExecutor;
using Xunit;

namespace Executor.Allocations.Tests;

/// <summary>Issue 6: function calls with watchers, call_function failures and retries, tail calls.</summary>
public sealed class FunctionCallTests(FunctionCallTests.Fixture fixture) : IClassFixture<FunctionCallTests.Fixture>
{
    private readonly FunctionCallTests.Fixture _fixture = fixture;

    [Fact]
    public async Task ParentCallsAChildWatchesItAndCompletesWithItsValueWhileTheWatchSuspendsItsTimeout()
    {
        var scenario = _fixture.Scenario;
        var fe = scenario.AddSmallFunctionExecutor(TestFunctions.CallAndWait, allocationTimeoutMs: 2000, application: "parent");
        var parent = scenario.AddAllocation(fe, "{\"payload\":\"child argument\"}");
        var server = scenario.Server;

        // call_function carries the child call as the Server expects it.
        var received = await server.WaitForFunctionCallRequestAsync(c => c.Request.RequestId == parent.RequestId, ScenarioExtensions.Patience);
        Assert.True(received.Succeeded);
        var request = received.Request;
        Assert.Equal(parent.Function.Namespace, request.Namespace);
        Assert.Equal(parent.Function.ApplicationName, request.Application);
        Assert.Equal(parent.FunctionCallId, request.SourceFunctionCallId);
        var childId = request.Updates.RootFunctionCallId;
        Assert.StartsWith($"{parent.AllocationId}.call.", childId, StringComparison.Ordinal);
        var update = Assert.Single(request.Updates.Updates);
        Assert.Equal(childId, update.FunctionCall.Id);
        Assert.Equal(TestFunctions.Echo, update.FunctionCall.Target.FunctionName);
        var arg = Assert.Single(update.FunctionCall.Args).InlineData;
        Assert.Equal($"{parent.RequestDataPayloadUriPrefix}.{parent.AllocationId}.blob-1.output", arg.Uri);
        Assert.Equal(DataPayloadEncoding.Utf8Text, arg.Encoding);
        Assert.Equal((ulong)"child argument".Length, arg.Size);
        Assert.Equal("child argument", Encoding.UTF8.GetString(server.Blobs.Read(arg)));

        // The parent's watch reaches the Server.
        await server.WaitForReportAsync(r => r.FunctionCallWatches.Any(w => w.FunctionCallId == childId), ScenarioExtensions.Patience);

        // Longer than the parent's 2 s timeout: time spent waiting on a watched call does not count.
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Null(server.GetAcceptedResult(parent.AllocationId));

        var childValue = server.PutText(parent, "child-output", "child value");
        server.CompleteFunctionCall(parent.Function.Namespace, parent.Function.ApplicationName, parent.RequestId, childId, FunctionCallOutcome.Success(childValue));

        var result = await scenario.WaitForResultAsync(parent);
        scenario.AssertSuccess(result, fe.Id);
        Assert.Equal(TestFunctions.CallAndWaitPrefix + "child value", Encoding.UTF8.GetString(server.Blobs.Read(result.Value)));
        server.AssertReportedOnce(parent.AllocationId);
        Assert.Single(server.FunctionCallRequests, c => c.Request.RequestId == parent.RequestId);

        // The FE got the result once: a second delivery would be logged as a reply for an unknown watcher.
        Assert.DoesNotContain("ignoring FunctionCallResult", scenario.ReadFunctionExecutorLog(fe.Id), StringComparison.Ordinal);

        // Once the parent is done its watch is withdrawn.
        var acceptedAt = server.Reports.First(r => r.AcceptedAllocationIds.Contains(parent.AllocationId)).Sequence;
        await server.WaitForReportAsync(r => r.Succeeded && !r.FunctionCallWatches.Any(w => w.FunctionCallId == childId), ScenarioExtensions.Patience, afterSequence: acceptedAt - 1);
    }

    [Fact]
    public async Task RefusedOrUnavailableCallFunctionFailsTheParentAfterRetryingOnlyRetriableErrors()
    {
        var scenario = _fixture.Scenario;
        var fe = scenario.AddSmallFunctionExecutor(TestFunctions.CallAndWait, application: "refused");
        var server = scenario.Server;

        // INVALID_ARGUMENT is final: one attempt, then the FE is told the call failed (status 13) and fails the parent.
        server.FailNextFunctionCalls(1, StatusCode.InvalidArgument);
        var refused = scenario.AddAllocation(fe, "{\"payload\":\"x\"}");
        var refusedResult = await scenario.WaitForResultAsync(refused);
        Assert.Equal(AllocationOutcomeCode.Failure, refusedResult.OutcomeCode);
        Assert.Equal(AllocationFailureReason.FunctionError, refusedResult.FailureReason);
        var refusedCall = Assert.Single(server.FunctionCallRequests, c => c.Request.RequestId == refused.RequestId);
        Assert.Equal(StatusCode.InvalidArgument, refusedCall.ReplyStatus);

        // UNAVAILABLE is retried with backoff until the (shortened) retry budget runs out, then reported to the FE the same way.
        server.FailNextFunctionCalls(100, StatusCode.Unavailable);
        var unavailable = scenario.AddAllocation(fe, "{\"payload\":\"y\"}");
        AllocationResult unavailableResult;
        try
        {
            unavailableResult = await scenario.WaitForResultAsync(unavailable);
        }
        finally
        {
            server.ClearFaults();
        }

        Assert.Equal(AllocationOutcomeCode.Failure, unavailableResult.OutcomeCode);
        Assert.Equal(AllocationFailureReason.FunctionError, unavailableResult.FailureReason);
        var attempts = server.FunctionCallRequests.Where(c => c.Request.RequestId == unavailable.RequestId).ToList();
        Assert.True(attempts.Count > 1, $"call_function was tried {attempts.Count} time(s)");
        Assert.All(attempts, a => Assert.Equal(StatusCode.Unavailable, a.ReplyStatus));
        Assert.All(attempts, a => Assert.Equal(attempts[0].Request.Updates.RootFunctionCallId, a.Request.Updates.RootFunctionCallId));

        var log = scenario.ReadFunctionExecutorLog(fe.Id);
        Assert.Contains($"allocation {refused.AllocationId}: function error: function call", log, StringComparison.Ordinal);
        Assert.Contains($"allocation {unavailable.AllocationId}: function error: function call", log, StringComparison.Ordinal);
        Assert.Contains("could not be started: 13 Failed to create function call.", log, StringComparison.Ordinal);

        // Neither failure cost the FE.
        scenario.AssertNotTerminated(fe.Id);
        server.AssertReportedOnce(refused.AllocationId);
        server.AssertReportedOnce(unavailable.AllocationId);
    }

    [Fact]
    public async Task TailCallIsReportedAsUpdatesWhoseInlineArgumentIsTheOutputsBlob()
    {
        var scenario = _fixture.Scenario;
        var fe = scenario.AddSmallFunctionExecutor(TestFunctions.TailCall, application: "tail");
        var allocation = scenario.AddAllocation(fe, "{\"payload\":\"tail argument\",\"function\":\"next\"}");

        var result = await scenario.WaitForResultAsync(allocation);
        scenario.AssertSuccess(result, fe.Id);
        Assert.False(result.HasFailureReason);
        Assert.True(result.HasExecutionDurationMs);
        Assert.Equal(AllocationResult.ReturnValueOneofCase.Updates, result.ReturnValueCase);
        var root = result.Updates.RootFunctionCallId;
        Assert.StartsWith($"{allocation.AllocationId}.tail.", root, StringComparison.Ordinal);
        var call = Assert.Single(result.Updates.Updates).FunctionCall;
        Assert.Equal(root, call.Id);
        Assert.Equal("next", call.Target.FunctionName);
        Assert.Equal(allocation.Function.Namespace, call.Target.Namespace);
        Assert.Equal(allocation.Function.ApplicationName, call.Target.ApplicationName);
        Assert.True(call.HasCallMetadata);
        var arg = Assert.Single(call.Args).InlineData;
        Assert.Equal($"{allocation.RequestDataPayloadUriPrefix}.{allocation.AllocationId}.blob-1.output", arg.Uri);
        Assert.Equal(DataPayloadEncoding.Utf8Text, arg.Encoding);
        Assert.Equal("tail argument", Encoding.UTF8.GetString(scenario.Server.Blobs.Read(arg)));

        // A tail call is not a call_function: the Server learns of it from the result alone.
        Assert.DoesNotContain(scenario.Server.FunctionCallRequests, c => c.Request.RequestId == allocation.RequestId);
        scenario.Server.AssertReportedOnce(allocation.AllocationId);
    }

    /// <summary>A short call_function retry budget, so exhausting it takes seconds.</summary>
    public sealed class Fixture : ScenarioFixture
    {
        protected override IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string> { ["EXECUTOR__CallFunctionRetryBudget"] = "00:00:03" };
    }
}

using System.Text;
using Executor.Allocations.Tests.Infrastructure;
using Executor.Protocol.ServerV1;
using Executor.TestHost;
using FakeIndexifyServer;
using Grpc.Core;
using TestFunctionExecutor;
using Xunit;

namespace Executor.Allocations.Tests;

/// <summary>
/// Issue 6: function calls with watchers, call_function failures and retries, tail calls. Where the Server protocol
/// and the FE protocol meet (issues 13, 14: call_function RPC or v2 log entry, results through watches or pushed
/// results, 0.1.2 AllocationState or 0.1.3 execution log), so on every combination (nested classes below).
/// </summary>
public abstract class FunctionCallTests<TProtocols>(FunctionCallFixture<TProtocols> fixture)
    where TProtocols : IProtocols
{
    private readonly FunctionCallFixture<TProtocols> _fixture = fixture;

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
        scenario.AssertChildCallId(parent, childId);
        var update = Assert.Single(request.Updates.Updates);
        Assert.Equal(childId, update.FunctionCall.Id);
        Assert.Equal(TestFunctions.Echo, update.FunctionCall.Target.FunctionName);
        var arg = Assert.Single(update.FunctionCall.Args).InlineData;
        Assert.Equal($"{parent.RequestDataPayloadUriPrefix}.{parent.AllocationId}.blob-1.output", arg.Uri);
        Assert.Equal(DataPayloadEncoding.Utf8Text, arg.Encoding);
        Assert.Equal((ulong)"child argument".Length, arg.Size);
        Assert.Equal("child argument", Encoding.UTF8.GetString(server.Blobs.Read(arg)));

        // The parent waits on the child, and the Server knows to hand it the child's result.
        await scenario.WaitForChildWatchedAsync(fe, parent, childId, ScenarioExtensions.Patience);

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

        // The FE got the result once, and once the parent is done the Server is done with the child for it.
        scenario.AssertChildResultDeliveredOnce(fe.Id, parent, childId);
        await scenario.WaitForChildWatchEndedAsync(parent, childId, ScenarioExtensions.Patience);
    }

    [Fact]
    public async Task AChildRunAsAnAllocationHereHandsItsValueToTheWaitingParent()
    {
        // The whole round trip: the parent's call reaches the Server, the Server runs the call as an allocation (here, on
        // the same executor), accepts its value and hands it to the parent (v1: in the desired state of the watching
        // executor; v2: as a pushed result), whose FE gets it (0.1.2: AllocationState; 0.1.3: event log).
        var scenario = _fixture.Scenario;
        var server = scenario.Server;
        var parentFe = scenario.AddSmallFunctionExecutor(TestFunctions.CallAndWait, application: "family");
        var childFe = scenario.AddSmallFunctionExecutor(TestFunctions.Echo, application: "family");
        var parent = scenario.AddAllocation(parentFe, "{\"payload\":\"child argument\"}");

        var received = await server.WaitForFunctionCallRequestAsync(c => c.Request.RequestId == parent.RequestId && c.Succeeded, ScenarioExtensions.Patience);
        var call = Assert.Single(received.Request.Updates.Updates).FunctionCall;
        scenario.AssertChildCallId(parent, call.Id);
        var child = server.AddAllocation(server.NewAllocation(childFe, call.Args.Select(a => a.InlineData), requestId: parent.RequestId, functionCallId: call.Id));

        var childResult = await scenario.WaitForResultAsync(child);
        scenario.AssertSuccess(childResult, childFe.Id);
        Assert.Equal("child argument", Encoding.UTF8.GetString(server.Blobs.Read(childResult.Value)));

        var parentResult = await scenario.WaitForResultAsync(parent);
        scenario.AssertSuccess(parentResult, parentFe.Id);
        Assert.Equal(TestFunctions.CallAndWaitPrefix + "child argument", Encoding.UTF8.GetString(server.Blobs.Read(parentResult.Value)));
        scenario.AssertChildResultDeliveredOnce(parentFe.Id, parent, call.Id);
        server.AssertReportedOnce(child.AllocationId);
        server.AssertReportedOnce(parent.AllocationId);
        await scenario.WaitForChildWatchEndedAsync(parent, call.Id, ScenarioExtensions.Patience);
    }

    [Fact]
    public async Task ACallTheServerDoesNotTakeWithinTheRetryBudgetFailsTheParentAndIsNeverStartedAfterwards()
    {
        var scenario = _fixture.Scenario;
        var fe = scenario.AddSmallFunctionExecutor(TestFunctions.CallAndWait, application: "unavailable");
        var server = scenario.Server;

        // UNAVAILABLE (v1: the call_function RPC; v2: the heartbeat carrying the call) is retried until the (shortened)
        // retry budget runs out; then the FE is told the call failed and fails the parent.
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
        scenario.AssertCallFunctionRetried(attempts.Count);
        Assert.All(attempts, a => Assert.Equal(StatusCode.Unavailable, a.ReplyStatus));
        var childId = attempts[0].Request.Updates.RootFunctionCallId;
        Assert.All(attempts, a => Assert.Equal(childId, a.Request.Updates.RootFunctionCallId));
        scenario.AssertChildCallId(unavailable, childId);
        scenario.AssertFunctionExecutorToldCallFailed(fe.Id, unavailable, childId);

        // The FE was told the call never started, so it never starts: once the Server answers again (two more accepted
        // reports, each of which would carry anything still owed), it has not taken the call.
        await server.WaitForReportAsync(r => r.Succeeded, ScenarioExtensions.Patience, afterSequence: server.LastSequence);
        await server.WaitForReportAsync(r => r.Succeeded, ScenarioExtensions.Patience, afterSequence: server.LastSequence);
        Assert.DoesNotContain(server.FunctionCallRequests, c => c.Request.RequestId == unavailable.RequestId && c.Succeeded);

        // The failure did not cost the FE.
        scenario.AssertNotTerminated(fe.Id);
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
        scenario.AssertTailCallId(allocation, root);
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
}

/// <summary>
/// Server protocol v1 only: call_function is an RPC with a status of its own, and a final one (INVALID_ARGUMENT) is not
/// retried. (v2 has no per-call answer: a call travels in a heartbeat, which the Server answers as a whole and the
/// executor offers again.) With either FE protocol.
/// </summary>
public abstract class CallFunctionRefusalTests<TProtocols>(FunctionCallFixture<TProtocols> fixture)
    where TProtocols : IProtocols
{
    [Fact]
    public async Task ARefusedCallFunctionIsNotRetriedAndFailsTheParent()
    {
        var scenario = fixture.Scenario;
        Assert.True(scenario.Protocols.IsServerV1);
        var fe = scenario.AddSmallFunctionExecutor(TestFunctions.CallAndWait, application: "refused");
        var server = scenario.Server;

        // INVALID_ARGUMENT is final: one attempt, then the FE is told the call failed and fails the parent.
        server.FailNextFunctionCalls(1, StatusCode.InvalidArgument);
        var refused = scenario.AddAllocation(fe, "{\"payload\":\"x\"}");
        var refusedResult = await scenario.WaitForResultAsync(refused);
        Assert.Equal(AllocationOutcomeCode.Failure, refusedResult.OutcomeCode);
        Assert.Equal(AllocationFailureReason.FunctionError, refusedResult.FailureReason);
        var refusedCall = Assert.Single(server.FunctionCallRequests, c => c.Request.RequestId == refused.RequestId);
        Assert.Equal(StatusCode.InvalidArgument, refusedCall.ReplyStatus);
        scenario.AssertFunctionExecutorToldCallFailed(fe.Id, refused, refusedCall.Request.Updates.RootFunctionCallId);

        // The failure did not cost the FE.
        scenario.AssertNotTerminated(fe.Id);
        server.AssertReportedOnce(refused.AllocationId);
    }
}

/// <summary>
/// A short call_function retry budget, so exhausting it takes seconds, and reports every second, so "the next reports"
/// come soon; shared by the classes of one combination.
/// </summary>
public sealed class FunctionCallFixture<TProtocols>() : ScenarioFixture(TProtocols.Combination)
    where TProtocols : IProtocols
{
    protected override IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["EXECUTOR__CallFunctionRetryBudget"] = "00:00:03",
        ["EXECUTOR__ReportInterval"] = "00:00:01",
    };
}

/// <summary><see cref="FunctionCallTests{TProtocols}"/> on every protocol combination.</summary>
public static class FunctionCallTests
{
    [Collection(FunctionCallCollections.V1Fe012)]
    public sealed class V1Fe012(FunctionCallFixture<Protocols.V1Fe012> fixture) : FunctionCallTests<Protocols.V1Fe012>(fixture);

    [Collection(FunctionCallCollections.V2Fe013)]
    public sealed class V2Fe013(FunctionCallFixture<Protocols.V2Fe013> fixture) : FunctionCallTests<Protocols.V2Fe013>(fixture);

    [Collection(FunctionCallCollections.V1Fe013)]
    public sealed class V1Fe013(FunctionCallFixture<Protocols.V1Fe013> fixture) : FunctionCallTests<Protocols.V1Fe013>(fixture);

    [Collection(FunctionCallCollections.V2Fe012)]
    public sealed class V2Fe012(FunctionCallFixture<Protocols.V2Fe012> fixture) : FunctionCallTests<Protocols.V2Fe012>(fixture);
}

/// <summary><see cref="CallFunctionRefusalTests{TProtocols}"/> on the combinations with Server protocol v1.</summary>
public static class CallFunctionRefusalTests
{
    [Collection(FunctionCallCollections.V1Fe012)]
    public sealed class V1Fe012(FunctionCallFixture<Protocols.V1Fe012> fixture) : CallFunctionRefusalTests<Protocols.V1Fe012>(fixture);

    [Collection(FunctionCallCollections.V1Fe013)]
    public sealed class V1Fe013(FunctionCallFixture<Protocols.V1Fe013> fixture) : CallFunctionRefusalTests<Protocols.V1Fe013>(fixture);
}

/// <summary>One executor per combination, shared by the function-call classes of that combination (they run one after another).</summary>
public static class FunctionCallCollections
{
    public const string V1Fe012 = "function calls, v1 + FE 0.1.2";
    public const string V2Fe013 = "function calls, v2 + FE 0.1.3";
    public const string V1Fe013 = "function calls, v1 + FE 0.1.3";
    public const string V2Fe012 = "function calls, v2 + FE 0.1.2";
}

[CollectionDefinition(FunctionCallCollections.V1Fe012)]
public sealed class FunctionCallsV1Fe012 : ICollectionFixture<FunctionCallFixture<Protocols.V1Fe012>>;

[CollectionDefinition(FunctionCallCollections.V2Fe013)]
public sealed class FunctionCallsV2Fe013 : ICollectionFixture<FunctionCallFixture<Protocols.V2Fe013>>;

[CollectionDefinition(FunctionCallCollections.V1Fe013)]
public sealed class FunctionCallsV1Fe013 : ICollectionFixture<FunctionCallFixture<Protocols.V1Fe013>>;

[CollectionDefinition(FunctionCallCollections.V2Fe012)]
public sealed class FunctionCallsV2Fe012 : ICollectionFixture<FunctionCallFixture<Protocols.V2Fe012>>;

using Executor.Protocol.ServerV1;
using FakeIndexifyServer.Tests.Infrastructure;
using Grpc.Core;
using Xunit;

namespace FakeIndexifyServer.Tests;

public sealed class FunctionCallTests
{
    public static TheoryData<string, StatusCode, string> InvalidCalls => new()
    {
        { "no-updates", StatusCode.InvalidArgument, "updates is required" },
        { "no-request", StatusCode.InvalidArgument, "request_id is required" },
        { "no-source", StatusCode.InvalidArgument, "source_function_call_id is required" },
        { "no-namespace", StatusCode.InvalidArgument, "namespace is required" },
        { "no-application", StatusCode.InvalidArgument, "application is required" },
        { "no-root", StatusCode.InvalidArgument, "root function call id is required" },
        { "no-target", StatusCode.Internal, "function call target with namespace and function_name is required" },
        { "no-arg-source", StatusCode.Internal, "function arg source is required" },
    };

    [Theory]
    [MemberData(nameof(InvalidCalls))]
    public async Task Call_function_is_validated_in_the_servers_order(string defect, StatusCode expectedCode, string expectedDetail)
    {
        await using var harness = await Harness.StartAsync();
        var request = Reports.CallFunction("ns", "app", "req", "parent", "child");
        switch (defect)
        {
            case "no-updates": request.Updates = null; request.ClearRequestId(); break; // the first defect wins
            case "no-request": request.ClearRequestId(); request.ClearNamespace(); break;
            case "no-source": request.ClearSourceFunctionCallId(); break;
            case "no-namespace": request.ClearNamespace(); break;
            case "no-application": request.ClearApplication(); request.Updates.ClearRootFunctionCallId(); break;
            case "no-root": request.Updates.ClearRootFunctionCallId(); break;
            case "no-target": request.Updates.Updates[0].FunctionCall.Target = null; break;
            case "no-arg-source": request.Updates.Updates[0].FunctionCall.Args.Add(new FunctionArg()); break;
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => harness.CallFunctionAsync(request));

        Assert.Equal((expectedCode, expectedDetail), (error.StatusCode, error.Status.Detail));
        Assert.Equal(expectedCode, Assert.Single(harness.Server.FunctionCallRequests).ReplyStatus);
    }

    [Fact]
    public async Task Watched_calls_are_reported_in_every_snapshot_until_scripted_outcomes_arrive()
    {
        await using var harness = await Harness.StartAsync();
        var (stream, _) = await harness.RegisterAndStreamAsync("exec-1");
        await using var _s = stream;

        await harness.CallFunctionAsync(Reports.CallFunction("ns", "app", "req", "parent", "child"));
        var recorded = await harness.Server.WaitForFunctionCallRequestAsync(c => c.Succeeded);
        Assert.Equal("child", recorded.Request.Updates.RootFunctionCallId);

        // Watching the known, unfinished call: it shows as UNKNOWN.
        await harness.ReportAsync(Reports.Valid("exec-1", watches: [Reports.Watch("ns", "app", "req", "child")]));
        var pending = Assert.Single((await stream.NextMatchingAsync(s => s.FunctionCallResults.Count == 1)).FunctionCallResults);
        Assert.Equal(AllocationOutcomeCode.Unknown, pending.OutcomeCode);
        Assert.False(pending.HasFailureReason);

        harness.Server.CompleteFunctionCall("ns", "app", "req", "child", FunctionCallOutcome.TailCall);
        var tail = Assert.Single((await stream.NextAsync()).FunctionCallResults);
        Assert.Equal((AllocationOutcomeCode.Success, (DataPayload?)null), (tail.OutcomeCode, tail.ReturnValue));

        var value = harness.Server.Blobs.PutRequestPayload("ns", "app", "req", "child-out", "42"u8, PayloadEncodings.Json);
        harness.Server.CompleteFunctionCall("ns", "app", "req", "child", FunctionCallOutcome.Success(value));
        var done = await stream.NextAsync();
        var success = Assert.Single(done.FunctionCallResults);
        Assert.Equal(("ns", "req", "child"), (success.Namespace, success.RequestId, success.FunctionCallId));
        Assert.Equal(value.Uri, success.ReturnValue.Uri);
        Assert.False(success.ReturnValue.HasContentType); // the server does not set it on results

        // A heartbeat with an empty watch set writes nothing, so the old set stays...
        await harness.ReportAsync(Reports.Valid("exec-1"));
        Assert.Single(harness.Server.GetDesiredState("exec-1")!.FunctionCallResults);

        // ...a written report replaces it.
        await harness.ReportAsync(Reports.Valid("exec-1", stateHash: "hash-2"));
        Assert.Empty((await stream.NextAsync()).FunctionCallResults);
    }

    [Fact]
    public async Task Watches_on_unknown_calls_are_left_out_and_failures_carry_their_reason()
    {
        await using var harness = await Harness.StartAsync();
        await harness.ReportAsync(Reports.Valid("exec-1", watches: [Reports.Watch("ns", "app", "req", "ghost"), Reports.Watch("ns", "app", "req", "c2")]));
        Assert.Empty(harness.Server.GetDesiredState("exec-1")!.FunctionCallResults);

        harness.Server.CompleteFunctionCall("ns", "app", "req", "c2", FunctionCallOutcome.Failure(AllocationFailureReason.FunctionError));

        var failed = Assert.Single(harness.Server.GetDesiredState("exec-1")!.FunctionCallResults);
        Assert.Equal((AllocationOutcomeCode.Failure, AllocationFailureReason.FunctionError), (failed.OutcomeCode, failed.FailureReason));
    }

    [Fact]
    public async Task Call_function_faults_can_be_injected()
    {
        await using var harness = await Harness.StartAsync();
        harness.Server.FailNextFunctionCalls(1, StatusCode.Unavailable);

        var error = await Assert.ThrowsAsync<RpcException>(() => harness.CallFunctionAsync(Reports.CallFunction("ns", "app", "req", "p", "c")));
        await harness.CallFunctionAsync(Reports.CallFunction("ns", "app", "req", "p", "c"));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal([StatusCode.Unavailable, StatusCode.OK], harness.Server.FunctionCallRequests.Select(c => c.ReplyStatus));
        Assert.Equal(AllocationOutcomeCode.Unknown, harness.Server.GetFunctionCallOutcome("ns", "app", "req", "c")!.Code);
    }
}

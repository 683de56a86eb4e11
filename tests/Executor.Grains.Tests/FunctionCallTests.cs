using System.Text;
using Executor.Grains.Tests.Infrastructure;
using Executor.Model;
using Executor.Server;
using Executor.Testing;
using TestFunctionExecutor;
using Xunit.Abstractions;

namespace Executor.Grains.Tests;

/// <summary>
/// Child calls an allocation makes: forwarded to the Server with call_function, watched (the watch goes out in
/// reports), and the result the Server lists in a snapshot handed to the watching allocation, whichever comes first.
/// </summary>
public sealed class FunctionCallTests(ITestOutputHelper output)
{
    private const string ChildInput = """{"function":"echo","payload":"child-arg"}""";

    [Theory]
    [MemberData(nameof(FeProtocols.Both), MemberType = typeof(FeProtocols))]
    public async Task AChildCallIsForwardedWatchedAndItsResultReachesTheWaitingParentWhoseTimeoutTheWatchSuspends(string protocol)
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var fe = executor.NewFunctionExecutor(TestFunctions.CallAndWait, protocol, allocationTimeoutMs: 2000);
        var parent = executor.NewAllocation(fe, ChildInput);
        await executor.ApplyAsync(executor.Snapshot([fe], [parent]));

        // call_function carries the child call with its argument in a BLOB the executor completed.
        var call = await Eventually.UntilNotNullAsync(() => executor.Server.FunctionCalls.FirstOrDefault(), because: "the child call is forwarded");
        Assert.Equal((ExecutorCluster.Namespace, fe.Function.Application, parent.RequestId, parent.FunctionCallId, parent.AllocationId), (call.Namespace, call.Application, call.RequestId, call.SourceFunctionCallId, call.AllocationId));
        var child = call.Updates.RootFunctionCallId;
        var node = Assert.Single(call.Updates.Nodes);
        Assert.Equal(child, node.Id);
        Assert.Equal(TestFunctions.Echo, node.Target!.Function);
        var argument = Assert.Single(node.Args).Inline!;
        Assert.StartsWith($"{parent.RequestDataPayloadUriPrefix}.{parent.AllocationId}.", argument.Uri, StringComparison.Ordinal);
        Assert.Equal("child-arg", executor.Blobs.ReadText(argument));

        // The parent's watch reaches the Server; waiting on it does not count against the parent's 2 s timeout.
        var watched = await executor.WaitForReportAsync(r => r.Watches.Any(w => w.FunctionCallId == child), "the parent's watch is reported");
        Assert.Equal(new FunctionCallWatch(ExecutorCluster.Namespace, fe.Function.Application, parent.RequestId, child), watched.Watches.Single());
        for (var waited = 0; waited < 10; waited++)
        {
            await executor.AdvanceAsync(TimeSpan.FromSeconds(1));
        }

        Assert.Empty(executor.DeliveredResultsOf(parent.AllocationId));

        await executor.ApplyAsync(executor.Snapshot([fe], [parent], functionCallResults: [ChildResult(executor, parent, child, "child-value")]));

        var result = await executor.WaitForResultAsync(parent.AllocationId);
        Assert.Equal(OutcomeCode.Success, result.Outcome);
        Assert.Equal("parent:child-value", executor.Blobs.ReadText(result.Value!));
        Assert.Empty(executor.Server.Accepted[^1].Watches);
        Assert.Single(executor.Server.FunctionCalls);
        Assert.Single(executor.DeliveredResultsOf(parent.AllocationId));
    }

    [Theory]
    [MemberData(nameof(FeProtocols.Both), MemberType = typeof(FeProtocols))]
    public async Task AResultListedBeforeTheParentWatchesItIsHandedOverOnceTheWatchAppears(string protocol)
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var fe = executor.NewFunctionExecutor(TestFunctions.CallAndWait, protocol);
        var parent = executor.NewAllocation(fe, ChildInput);

        // The Server holds call_function, so the parent cannot watch the child yet when its result is listed.
        executor.Server.HoldFunctionCalls();
        await executor.ApplyAsync(executor.Snapshot([fe], [parent]));
        var call = await Eventually.UntilNotNullAsync(() => executor.Server.FunctionCalls.FirstOrDefault(), because: "the child call is forwarded");
        var child = call.Updates.RootFunctionCallId;
        await executor.ApplyAsync(executor.Snapshot([fe], [parent], functionCallResults: [ChildResult(executor, parent, child, "early")]));
        executor.Server.ReleaseFunctionCalls();

        var result = await executor.WaitForResultAsync(parent.AllocationId);
        Assert.Equal(OutcomeCode.Success, result.Outcome);
        Assert.Equal("parent:early", executor.Blobs.ReadText(result.Value!));
    }

    [Theory]
    [MemberData(nameof(FeProtocols.Both), MemberType = typeof(FeProtocols))]
    public async Task ATailCallIsReportedAsTheOutcomesCallGraphAndNeverStartedAsAChildCall(string protocol)
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var fe = executor.NewFunctionExecutor(TestFunctions.TailCall, protocol);
        var allocation = executor.NewAllocation(fe, ChildInput);
        await executor.ApplyAsync(executor.Snapshot([fe], [allocation]));

        var result = await executor.WaitForResultAsync(allocation.AllocationId);
        Assert.Equal(OutcomeCode.Success, result.Outcome);
        Assert.NotNull(result.Updates);
        var call = Assert.Single(result.Updates.Nodes);
        Assert.Equal(result.Updates.RootFunctionCallId, call.Id);
        Assert.Equal(allocation.Function with { Function = TestFunctions.Echo, Version = call.Target!.Version }, call.Target);
        var argument = Assert.Single(call.Args).Inline!;
        Assert.StartsWith($"{allocation.RequestDataPayloadUriPrefix}.{allocation.AllocationId}.", argument.Uri, StringComparison.Ordinal);
        Assert.Equal("child-arg", executor.Blobs.ReadText(argument));
        Assert.Empty(executor.Server.FunctionCalls);
    }

    [Theory]
    [MemberData(nameof(FeProtocols.Both), MemberType = typeof(FeProtocols))]
    public async Task ACallTheServerRefusesFailsTheParentFunctionErrorWithoutRetrying(string protocol)
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        executor.Server.FailFunctionCalls(() => new ServerRpcException("INVALID_ARGUMENT: scripted", retriable: false));
        var fe = executor.NewFunctionExecutor(TestFunctions.CallAndWait, protocol);
        var parent = executor.NewAllocation(fe, ChildInput);
        await executor.ApplyAsync(executor.Snapshot([fe], [parent]));

        var result = await executor.WaitForResultAsync(parent.AllocationId);
        Assert.Equal(AllocationFailureReason.FunctionError, result.FailureReason);
        Assert.Single(executor.Server.FunctionCalls);
    }

    [Fact]
    public async Task ACallTheServerCannotTakeIsRetriedWithinTheRetryBudgetThenFailsTheParent()
    {
        await using var executor = await ExecutorCluster.StartAsync(output, o => o.Settings["Executor:CallFunctionRetryBudget"] = "00:01:00");
        executor.Server.FailFunctionCalls(() => new ServerRpcException("UNAVAILABLE: scripted"));
        var fe = executor.NewFunctionExecutor(TestFunctions.CallAndWait);
        var parent = executor.NewAllocation(fe, ChildInput);
        await executor.ApplyAsync(executor.Snapshot([fe], [parent]));
        await Eventually.TrueAsync(() => executor.Server.FunctionCalls.Count == 1, because: "the first attempt");

        // Retries back off on the executor's clock; once the budget is spent the parent fails.
        await Eventually.TrueAsync(
            async () =>
            {
                await executor.AdvanceAsync(TimeSpan.FromSeconds(5));
                return executor.DeliveredResultsOf(parent.AllocationId).Count > 0;
            },
            because: "the parent fails once the retry budget is spent");
        Assert.Equal(AllocationFailureReason.FunctionError, executor.DeliveredResultsOf(parent.AllocationId).Single().FailureReason);
        Assert.InRange(executor.Server.FunctionCalls.Count, 3, 10);
    }

    private static FunctionCallResultSpec ChildResult(ExecutorCluster executor, AllocationSpec parent, string child, string value) => new()
    {
        Namespace = ExecutorCluster.Namespace,
        RequestId = parent.RequestId,
        FunctionCallId = child,
        Outcome = OutcomeCode.Success,
        ReturnValue = executor.Blobs.Put($"{ExecutorCluster.Namespace}/{parent.Function.Application}/{parent.RequestId}/{child}-output", Encoding.UTF8.GetBytes(value), PayloadEncoding.Utf8Text, "text/plain"),
    };
}

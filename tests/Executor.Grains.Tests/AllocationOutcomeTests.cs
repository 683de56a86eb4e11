using Executor.Grains.Tests.Infrastructure;
using Executor.Model;
using TestFunctionExecutor;
using Xunit.Abstractions;

namespace Executor.Grains.Tests;

/// <summary>What an allocation's outcome says, in both FE protocols, and how an FE runs its allocations.</summary>
public sealed class AllocationOutcomeTests(ITestOutputHelper output)
{
    [Theory]
    [MemberData(nameof(FeProtocols.Both), MemberType = typeof(FeProtocols))]
    public async Task ValuesFunctionErrorsAndRequestErrorsAreReportedAsUpstreamDoes(string protocol)
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var echo = executor.NewFunctionExecutor(TestFunctions.Echo, protocol);
        var functionError = executor.NewFunctionExecutor(TestFunctions.FailFunction, protocol);
        var requestError = executor.NewFunctionExecutor(TestFunctions.FailRequest, protocol);
        var echoed = executor.NewAllocation(echo, """{"x":1}""");
        var failed = executor.NewAllocation(functionError);
        var refused = executor.NewAllocation(requestError, """{"message":"bad input"}""");

        await executor.ApplyAsync(executor.Snapshot([echo, functionError, requestError], [echoed, failed, refused]));

        var value = await executor.WaitForResultAsync(echoed.AllocationId);
        Assert.Equal(OutcomeCode.Success, value.Outcome);
        Assert.Null(value.FailureReason);
        Assert.Equal("""{"x":1}""", executor.Blobs.ReadText(value.Value!));
        Assert.Equal(PayloadEncoding.Utf8Json, value.Value!.Encoding);
        Assert.StartsWith($"{echoed.RequestDataPayloadUriPrefix}.{echoed.AllocationId}.", value.Value.Uri, StringComparison.Ordinal);

        var functionFailure = await executor.WaitForResultAsync(failed.AllocationId);
        Assert.Equal(OutcomeCode.Failure, functionFailure.Outcome);
        Assert.Equal(AllocationFailureReason.FunctionError, functionFailure.FailureReason);
        Assert.Null(functionFailure.Value);

        var requestFailure = await executor.WaitForResultAsync(refused.AllocationId);
        Assert.Equal(AllocationFailureReason.RequestError, requestFailure.FailureReason);
        Assert.Equal("bad input", executor.Blobs.ReadText(requestFailure.RequestError!));

        // An allocation's failure is not its FE's: all three keep running.
        Assert.All(executor.Server.Accepted[^1].FunctionExecutors, s => Assert.Equal(FunctionExecutorStatus.Running, s.Status));
    }

    [Fact]
    public async Task AllocationsRunAtMostMaxConcurrencyAtOnceInTheOrderTheyArrived()
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var fe = executor.NewFunctionExecutor(TestFunctions.Echo, maxConcurrency: 2);
        await executor.ApplyAsync(executor.Snapshot([fe]));
        var process = await executor.WaitForRunningAsync(fe);

        // A run keeps its slot until the FE answered delete_allocation: holding those answers keeps two slots taken.
        process.HoldCalls("delete_allocation");
        var allocations = Enumerable.Range(0, 5).Select(_ => executor.NewAllocation(fe)).ToList();
        await executor.ApplyAsync(executor.Snapshot([fe], allocations));
        await process.WaitForCallAsync("delete_allocation", allocations[0].AllocationId);
        await process.WaitForCallAsync("delete_allocation", allocations[1].AllocationId);
        Assert.Equal(allocations.Take(2).Select(a => a.AllocationId), Created(process));
        var state = await executor.FunctionExecutor(fe.Id).GetStateAsync();
        Assert.Equal(2, state.Running);
        Assert.Equal(3, state.Queued);

        process.ReleaseCalls("delete_allocation");
        foreach (var allocation in allocations)
        {
            Assert.Equal(OutcomeCode.Success, (await executor.WaitForResultAsync(allocation.AllocationId)).Outcome);
        }

        Assert.Equal(allocations.Select(a => a.AllocationId), Created(process));
    }

    private static IEnumerable<string?> Created(FakeFunctionExecutorProcess process) =>
        process.Calls.Where(c => c.Method == "create_allocation").Select(c => c.AllocationId);
}

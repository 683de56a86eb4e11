using System.Security.Cryptography;
using Executor.Grains.Tests.Infrastructure;
using Executor.Model;
using Executor.Testing;
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
        var internalError = executor.NewFunctionExecutor(TestFunctions.FailInternal, protocol);
        var echoed = executor.NewAllocation(echo, """{"x":1}""");
        var failed = executor.NewAllocation(functionError);
        var refused = executor.NewAllocation(requestError, """{"message":"bad input"}""");
        var broken = executor.NewAllocation(internalError);

        await executor.ApplyAsync(executor.Snapshot([echo, functionError, requestError, internalError], [echoed, failed, refused, broken]));

        var value = await executor.WaitForResultAsync(echoed.AllocationId);
        Assert.Equal(OutcomeCode.Success, value.Outcome);
        Assert.Null(value.FailureReason);
        Assert.Equal((echoed.FunctionExecutorId, echoed.FunctionCallId, echoed.RequestId, echoed.Function), (value.FunctionExecutorId, value.FunctionCallId, value.RequestId, value.Function));
        Assert.NotNull(value.ExecutionDurationMs);
        Assert.Equal("""{"x":1}""", executor.Blobs.ReadText(value.Value!));
        Assert.Equal(PayloadEncoding.Utf8Json, value.Value!.Encoding);
        Assert.Equal("application/json", value.Value.ContentType);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(executor.Blobs.Read(value.Value))), value.Value.Sha256);
        Assert.StartsWith($"{echoed.RequestDataPayloadUriPrefix}.{echoed.AllocationId}.", value.Value.Uri, StringComparison.Ordinal);
        Assert.EndsWith(".output", value.Value.Uri, StringComparison.Ordinal);

        var functionFailure = await executor.WaitForResultAsync(failed.AllocationId);
        Assert.Equal(OutcomeCode.Failure, functionFailure.Outcome);
        Assert.Equal(AllocationFailureReason.FunctionError, functionFailure.FailureReason);
        Assert.Null(functionFailure.Value);

        var requestFailure = await executor.WaitForResultAsync(refused.AllocationId);
        Assert.Equal(AllocationFailureReason.RequestError, requestFailure.FailureReason);
        Assert.Equal($"{refused.RequestErrorPayloadUriPrefix}.{refused.AllocationId}.req_error", requestFailure.RequestError!.Uri);
        Assert.Equal(PayloadEncoding.Utf8Text, requestFailure.RequestError.Encoding);
        Assert.Equal("bad input", executor.Blobs.ReadText(requestFailure.RequestError));

        // The FE's own INTERNAL_ERROR is the function's failure: user code must not claim executor errors.
        Assert.Equal(AllocationFailureReason.FunctionError, (await executor.WaitForResultAsync(broken.AllocationId)).FailureReason);

        // An allocation's failure is not its FE's: all of them keep running.
        Assert.All(executor.Server.Accepted[^1].FunctionExecutors, s => Assert.Equal(FunctionExecutorStatus.Running, s.Status));
        Assert.All(new[] { echoed, failed, refused, broken }, a => Assert.Single(executor.DeliveredResultsOf(a.AllocationId)));
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
        Assert.Equal(allocations.Take(2).Select(a => a.AllocationId).Order(), Created(process).Order());
        var state = await executor.FunctionExecutor(fe.Id).GetStateAsync();
        Assert.Equal(2, state.Running);
        Assert.Equal(3, state.Queued);

        process.ReleaseCalls("delete_allocation");
        foreach (var allocation in allocations)
        {
            Assert.Equal(OutcomeCode.Success, (await executor.WaitForResultAsync(allocation.AllocationId)).Outcome);
        }

        // The two that ran at once may reach the FE in either order; the three that waited come after them.
        var created = Created(process).ToList();
        Assert.Equal(allocations.Select(a => a.AllocationId).Order(), created.Order());
        Assert.Equal(allocations.Skip(2).Select(a => a.AllocationId).Order(), created.Skip(2).Order());
    }

    [Theory]
    [MemberData(nameof(FeProtocols.Both), MemberType = typeof(FeProtocols))]
    public async Task AllocationsOfOneRequestShareRequestStateAndOtherRequestsDoNotSeeIt(string protocol)
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var writer = executor.NewFunctionExecutor(TestFunctions.StateWriteRead, protocol);
        var reader = executor.NewFunctionExecutor(TestFunctions.StateReadMissing, protocol);
        var write = executor.NewAllocation(writer, """{"key":"k/ü","value":"stored"}""", requestId: "shared-request");
        await executor.ApplyAsync(executor.Snapshot([writer, reader], [write]));
        Assert.Equal("stored", executor.Blobs.ReadText((await executor.WaitForResultAsync(write.AllocationId)).Value!));

        // Kept under <request prefix>/state/<key, one path segment>.
        Assert.Equal("stored", File.ReadAllText(Path.Combine(executor.Blobs.Root, ExecutorCluster.Namespace, "app", "shared-request", "state", Uri.EscapeDataString("k/ü"))));

        var sameRequest = executor.NewAllocation(reader, """{"key":"k/ü"}""", requestId: "shared-request");
        var otherRequest = executor.NewAllocation(reader, """{"key":"k/ü"}""", requestId: "other-request");
        var missingKey = executor.NewAllocation(reader, """{"key":"nothing"}""", requestId: "shared-request");
        await executor.ApplyAsync(executor.Snapshot([writer, reader], [write, sameRequest, otherRequest, missingKey]));
        Assert.Equal("found:stored", executor.Blobs.ReadText((await executor.WaitForResultAsync(sameRequest.AllocationId)).Value!));
        Assert.Equal(TestFunctions.NotFoundValue, executor.Blobs.ReadText((await executor.WaitForResultAsync(otherRequest.AllocationId)).Value!));
        Assert.Equal(TestFunctions.NotFoundValue, executor.Blobs.ReadText((await executor.WaitForResultAsync(missingKey.AllocationId)).Value!));
    }

    [Fact]
    public async Task BlobsLargerThanOneChunkAreReadAndWrittenInPiecesAndReassembled()
    {
        await using var executor = await ExecutorCluster.StartAsync(output, o =>
        {
            o.Settings["BlobStore:ReadChunkSize"] = "1024";
            o.Settings["BlobStore:WritePartSizeFirst100"] = "1024";
            o.Settings["BlobStore:WritePartSizeAfter"] = "1024";
        });
        var big = executor.NewFunctionExecutor("big_output_5000");
        var echo = executor.NewFunctionExecutor(TestFunctions.Echo);
        var input = "\"" + new string('x', 3000) + "\"";
        var bigAllocation = executor.NewAllocation(big);
        var echoAllocation = executor.NewAllocation(echo, input);
        await executor.ApplyAsync(executor.Snapshot([big, echo], [bigAllocation, echoAllocation]));

        var bigResult = await executor.WaitForResultAsync(bigAllocation.AllocationId);
        var expected = new byte[5000];
        TestFunctions.FillPattern(TestFunctions.PatternSeed(bigAllocation.AllocationId), 0, expected);
        Assert.Equal(5000UL, bigResult.Value!.Size);
        Assert.Equal(PayloadEncoding.Raw, bigResult.Value.Encoding);
        Assert.Equal(expected, executor.Blobs.Read(bigResult.Value));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(expected)), bigResult.Value.Sha256);
        Assert.Equal(input, executor.Blobs.ReadText((await executor.WaitForResultAsync(echoAllocation.AllocationId)).Value!));
    }

    [Theory]
    [MemberData(nameof(FeProtocols.Both), MemberType = typeof(FeProtocols))]
    public async Task ABrokenStateStreamIsReopenedAndTheAllocationSucceedsOnItsStillHealthyFunctionExecutor(string protocol)
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var fe = executor.NewFunctionExecutor(TestFunctions.Combine(TestFunctions.Echo, TestFunctions.BreakWatch), protocol);
        var allocation = executor.NewAllocation(fe);
        await executor.ApplyAsync(executor.Snapshot([fe], [allocation]));
        var process = await executor.WaitForRunningAsync(fe);

        // The reopen waits a moment on the executor's clock.
        await Eventually.TrueAsync(
            async () =>
            {
                await executor.AdvanceAsync(TimeSpan.FromMilliseconds(50));
                return executor.DeliveredResultsOf(allocation.AllocationId).Count > 0;
            },
            because: "the allocation finishes");
        Assert.Equal(OutcomeCode.Success, executor.DeliveredResultsOf(allocation.AllocationId).Single().Outcome);
        Assert.True(process.Calls.Count(c => c.Method == "watch_allocation_state" && c.AllocationId == allocation.AllocationId) >= 2);

        // The same FE runs the next one.
        var next = executor.NewAllocation(fe);
        await executor.ApplyAsync(executor.Snapshot([fe], [allocation, next]));
        await Eventually.TrueAsync(
            async () =>
            {
                await executor.AdvanceAsync(TimeSpan.FromMilliseconds(50));
                return executor.DeliveredResultsOf(next.AllocationId).Count > 0;
            },
            because: "the next allocation finishes");
        Assert.DoesNotContain(executor.Server.Accepted, r => r.FunctionExecutors.Any(s => s.Status == FunctionExecutorStatus.Terminated));
        Assert.Single(executor.Launcher.ProcessesOf(fe.Id));
    }

    private static IEnumerable<string?> Created(FakeFunctionExecutorProcess process) =>
        process.Calls.Where(c => c.Method == "create_allocation").Select(c => c.AllocationId);
}

using Executor.Allocations.Tests.Infrastructure;
using Executor.BlobStore;
using Executor.Configuration;
using Executor.FunctionExecutors;
using Executor.Model;
using Executor.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;
using static Executor.Allocations.Tests.Infrastructure.ExecutionEvents;
using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.Allocations.Tests.ExecutionLog;

/// <summary>
/// Issue 14: an allocation run end to end over FE protocol 0.1.3, against a scripted FE on 127.0.0.1 that checks what
/// it is told as the tensorlake FE does: values, awaited child calls, tail calls, request errors, watcher deadlines,
/// and a broken event-log read stream.
/// </summary>
public sealed class ExecutionLogRunnerTests : IAsyncLifetime
{
    private const string Prefix = "file:///blobs/ns/app/req";

    private readonly TurnScheduler _turns = new();
    private readonly RecordingBlobStore _store = new();
    private readonly RecordingHost _host = new();
    private readonly RecordingServer _server;
    private readonly AllocationSpec _spec = new()
    {
        AllocationId = "alloc-1",
        FunctionExecutorId = "fe-1",
        Function = new FunctionRef("ns", "app", "fn", "1"),
        FunctionCallId = "call-1",
        RequestId = "req",
        RequestDataPayloadUriPrefix = Prefix,
        RequestErrorPayloadUriPrefix = Prefix,
    };

    private ScriptedFunctionExecutor? _fe;
    private FunctionExecutorClient? _client;

    public ExecutionLogRunnerTests()
    {
        _server = new RecordingServer(_store);
    }

    [Fact]
    public async Task AValueIsReportedFromTheOutputsBlobTheExecutorSuppliedAndTheAllocationIsDeletedAfterwards()
    {
        var (result, allocation) = await RunAsync(async a =>
        {
            var outputs = await a.RequestOutputBlobAsync("out-1", 11);
            a.Emit(FinishWithValue(ScriptedAllocation.Uploaded(outputs, 11), 11));
        });

        var outcome = AssertOutcome(result, OutcomeCode.Success, null);
        var outputsUri = $"{Prefix}.alloc-1.out-1.output";
        Assert.Equal(outputsUri, outcome.Value!.Uri);
        Assert.Equal(11UL, outcome.Value.Size);
        Assert.Equal(PayloadEncoding.Utf8Text, outcome.Value.Encoding);
        Assert.Contains((outputsUri, (IReadOnlyList<string>)["etag-out-1-1"]), _store.Completed.Select(c => (c.Uri, c.ETags)), new UploadComparer());
        Assert.Empty(_server.Calls);
        Assert.Equal(1, allocation.Deletes);
        Assert.Empty(allocation.Violations);

        // The request-error BLOB was not used: its upload is aborted, not left open.
        Assert.Contains($"{Prefix}.alloc-1.req_error", _store.Aborted);
    }

    [Fact]
    public async Task AnAwaitedChildCallIsStartedAcknowledgedWatchedAndItsResultHandedToTheFunctionExecutorWhileItsTimeoutIsSuspended()
    {
        var (result, allocation) = await RunAsync(AwaitChildCall, timeoutMs: 2000, deliver: DeliverChildResultAfterTheTimeoutAsync);

        AssertOutcome(result, OutcomeCode.Success, null);
        Assert.Empty(allocation.Violations);

        // The child went to the Server once, on behalf of this allocation, after its arguments were uploaded.
        var (request, completedBefore) = Assert.Single(_server.Calls);
        Assert.Equal("alloc-1", request.AllocationId);
        Assert.Equal("call-1", request.SourceFunctionCallId);
        Assert.Equal("child-1", request.Updates.RootFunctionCallId);
        var node = Assert.Single(request.Updates.Nodes);
        Assert.Equal("child", node.Target!.Function);
        var argsUri = $"{Prefix}.alloc-1.args-1.output";
        Assert.Equal(argsUri, Assert.Single(node.Args).Inline!.Uri);
        Assert.Contains(argsUri, completedBefore);

        // What the FE read: created, watcher created, the result — in that clock order, each once.
        var entries = allocation.Received;
        Assert.Equal([1UL, 2UL, 3UL], entries.Select(e => e.Clock));
        Assert.True(IsCreated(entries[0], "child-1") && entries[0].FunctionCallCreated.Status.Code == 0);
        Assert.True(IsWatcherCreated(entries[1], "child-1") && entries[1].FunctionCallWatcherCreated.Status.Code == 0);
        var childResult = entries[2].FunctionCallWatcherResult;
        Assert.Equal(Fe.FunctionCallWatcherStatus.Completed, childResult.WatcherStatus);
        Assert.Equal(Fe.AllocationOutcomeCode.Success, childResult.OutcomeCode);
        Assert.Equal(5UL, childResult.ValueOutput.Manifest.Size);
        Assert.StartsWith($"{Prefix}.child-value", childResult.ValueBlob.Chunks[0].Uri, StringComparison.Ordinal);

        Assert.Equal(["child-1"], _host.Added.Select(a => a.WatcherId));
        Assert.Equal(new FunctionCallWatch("ns", "app", "req", "child-1"), _host.Added[0].Watch);
        Assert.Contains("child-1", _host.Removed);
    }

    [Theory]
    [InlineData(BrokenAdvance.BeforeApplying)]
    [InlineData(BrokenAdvance.AfterApplying)]
    public async Task AnAdvanceLostInTheTransportIsNeverRepeatedBlindlyAndNoBatchIsSkipped(BrokenAdvance broken)
    {
        // The first advance (after the create batch) breaks; whether the FE applied it, the watcher batch must still be
        // processed: a blind second advance would drop it unseen and the parent would wait forever.
        var (result, allocation) = await RunAsync(AwaitChildCall, deliver: DeliverChildResultAsync, options: new ScriptedFunctionExecutorOptions { BreakFirstAdvance = broken });

        AssertOutcome(result, OutcomeCode.Success, null);
        Assert.Empty(allocation.Violations);
        Assert.Single(_server.Calls);
        Assert.Equal([1UL, 2UL, 3UL], allocation.Received.Select(e => e.Clock));
    }

    [Fact]
    public async Task ATailCallIsReportedAsTheOutcomesCallGraphAndNeverStartedAsAChildCall()
    {
        var (result, allocation) = await RunAsync(async a =>
        {
            var args = await a.RequestOutputBlobAsync("args-1", 7);
            a.Emit(CreateCall("tail-1", "next", ScriptedAllocation.Uploaded(args, 7), 7));
            var created = await a.WaitForEntryAsync(e => IsCreated(e, "tail-1"));
            Assert.Equal(0, created.FunctionCallCreated.Status.Code);
            a.Emit(FinishWithTailCall("tail-1"));
        });

        var outcome = AssertOutcome(result, OutcomeCode.Success, null);
        Assert.Null(outcome.Value);
        var graph = outcome.Updates!;
        Assert.Equal("tail-1", graph.RootFunctionCallId);
        var node = Assert.Single(graph.Nodes);
        Assert.Equal("tail-1", node.Id);
        Assert.Equal("next", node.Target!.Function);
        Assert.Equal("pickled metadata", System.Text.Encoding.UTF8.GetString(node.CallMetadata!));
        var argsUri = $"{Prefix}.alloc-1.args-1.output";
        Assert.Equal(argsUri, Assert.Single(node.Args).Inline!.Uri);
        Assert.Contains(argsUri, _store.Completed.Select(c => c.Uri));
        Assert.Empty(_server.Calls);
        Assert.Empty(allocation.Violations);
    }

    [Fact]
    public async Task ARequestErrorIsReportedFromTheAllocationsOwnRequestErrorBlob()
    {
        var (result, allocation) = await RunAsync(a =>
        {
            a.Emit(FinishWithRequestError(ScriptedAllocation.Uploaded(a.Allocation.Inputs.RequestErrorBlob, 9), 9));
            return Task.CompletedTask;
        });

        var outcome = AssertOutcome(result, OutcomeCode.Failure, AllocationFailureReason.RequestError);
        var errorUri = $"{Prefix}.alloc-1.req_error";
        Assert.Equal(errorUri, outcome.RequestError!.Uri);
        Assert.Equal(9UL, outcome.RequestError.Size);
        Assert.Contains(errorUri, _store.Completed.Select(c => c.Uri));
        Assert.DoesNotContain(errorUri, _store.Aborted);
        Assert.Empty(allocation.Violations);
    }

    [Fact]
    public async Task AWatcherPastItsDeadlineGetsTimedOutOnceAndALateResultIsNotHandedOver()
    {
        var timedOut = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var lateResultDelivered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (result, allocation) = await RunAsync(
            async a =>
            {
                var args = await a.RequestOutputBlobAsync("args-1", 3);
                a.Emit(CreateCall("slow-1", "slow", ScriptedAllocation.Uploaded(args, 3), 3));
                await a.WaitForEntryAsync(e => IsCreated(e, "slow-1"));
                a.Emit(Watcher("slow-1", DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(300)));
                var entry = await a.WaitForEntryAsync(e => IsWatcherResult(e, "slow-1"));
                Assert.Equal(Fe.FunctionCallWatcherStatus.Timedout, entry.FunctionCallWatcherResult.WatcherStatus);
                timedOut.SetResult();

                // User code does not catch the TimeoutError.
                await lateResultDelivered.Task;
                a.Emit(FinishWithFailure(Fe.AllocationFailureReason.FunctionError));
            },
            deliver: async runner =>
            {
                await timedOut.Task.WaitAsync(TimeSpan.FromSeconds(30));
                await _turns.RunAsync(() => runner.DeliverResult("slow-1", ChildValue("slow-1")));
                lateResultDelivered.SetResult();
            });

        AssertOutcome(result, OutcomeCode.Failure, AllocationFailureReason.FunctionError);
        Assert.Single(allocation.Received, e => IsWatcherResult(e, "slow-1"));
        Assert.Single(_server.Calls);
        Assert.Contains("slow-1", _host.Removed);
        Assert.Empty(allocation.Violations);
    }

    [Fact]
    public async Task ABrokenReadStreamIsReopenedAndAnAnsweredReadRepublishedThereIsNotAnsweredAgain()
    {
        var (result, allocation) = await RunAsync(
            AwaitChildCall,
            deliver: DeliverChildResultAsync,
            options: new ScriptedFunctionExecutorOptions { BreakReadsStreamAfterFirstAnswer = true, RepublishAnsweredRead = true });

        AssertOutcome(result, OutcomeCode.Success, null);
        Assert.Equal(2, allocation.ReadStreamsOpened);
        Assert.Empty(allocation.Violations);
        Assert.Equal(3, allocation.Received.Count);
    }

    [Fact]
    public async Task AnAllocationThatNeverFinishesTimesOutAndCostsItsFunctionExecutor()
    {
        var (result, allocation) = await RunAsync(a => Task.Delay(Timeout.Infinite, a.Stopping), timeoutMs: 300);

        Assert.Equal(AllocationFailureReason.FunctionTimeout, result.Outcome?.FailureReason);
        Assert.Equal(FunctionExecutorTerminationReason.FunctionTimeout, result.TerminateFunctionExecutor);
        Assert.Equal(0, allocation.Deletes);
    }

    /// <summary>The FE's user code: start a child with an argument, await it, return a value.</summary>
    private static async Task AwaitChildCall(ScriptedAllocation a)
    {
        var args = await a.RequestOutputBlobAsync("args-1", 5);
        a.Emit(CreateCall("child-1", "child", ScriptedAllocation.Uploaded(args, 5), 5));
        var created = await a.WaitForEntryAsync(e => IsCreated(e, "child-1"));
        Assert.Equal(0, created.FunctionCallCreated.Status.Code);
        a.Emit(Watcher("child-1"));
        await a.WaitForEntryAsync(e => IsWatcherResult(e, "child-1"));
        var outputs = await a.RequestOutputBlobAsync("out-1", 5);
        a.Emit(FinishWithValue(ScriptedAllocation.Uploaded(outputs, 5), 5));
    }

    private Task DeliverChildResultAsync(AllocationRunner runner) => DeliverChildResultAsync(runner, TimeSpan.Zero);

    /// <summary>Waits past the 2 s allocation timeout before the child's result arrives: watched time does not count.</summary>
    private Task DeliverChildResultAfterTheTimeoutAsync(AllocationRunner runner) => DeliverChildResultAsync(runner, TimeSpan.FromSeconds(2.5));

    private async Task DeliverChildResultAsync(AllocationRunner runner, TimeSpan after)
    {
        await Eventually.TrueAsync(() => _host.Added.Any(w => w.WatcherId == "child-1"), because: "the child call is watched");
        await Task.Delay(after);
        await _turns.RunAsync(() => runner.DeliverResult("child-1", ChildValue("child-1")));
    }

    private static FunctionCallResultSpec ChildValue(string id) => new()
    {
        Namespace = "ns",
        RequestId = "req",
        FunctionCallId = id,
        Outcome = OutcomeCode.Success,
        ReturnValue = new DataPayloadRef { Uri = $"{Prefix}.child-value", Encoding = PayloadEncoding.Utf8Text, Size = 5, Sha256 = "sha", SourceFunctionCallId = id },
    };

    private async Task<(AllocationRunResult Result, ScriptedAllocation Allocation)> RunAsync(
        Func<ScriptedAllocation, Task> script,
        uint timeoutMs = 60_000,
        Func<AllocationRunner, Task>? deliver = null,
        ScriptedFunctionExecutorOptions? options = null)
    {
        _fe = await ScriptedFunctionExecutor.StartAsync(script, options);
        _client = new FunctionExecutorClient(_fe.Address);
        var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        var runner = new AllocationRunner(
            _spec, timeoutMs, _client, new BlobMessages(_store, new BlobStoreOptions()), _server, new ExecutorOptions(), _host, new AllocationMetrics(meters), NullLogger.Instance, TimeProvider.System, FunctionExecutorProtocol.ExecutionLog);
        var run = _turns.RunAsync(() => runner.RunAsync());
        var delivering = deliver?.Invoke(runner) ?? Task.CompletedTask;

        // A failing script (the FE's user code asserting what it was told) fails the test with its own message.
        var userCode = ScriptOfAsync(_fe);
        if (await Task.WhenAny(run, userCode).WaitAsync(TimeSpan.FromSeconds(60)) == userCode && userCode.IsFaulted)
        {
            await userCode;
        }

        var result = await run.WaitAsync(TimeSpan.FromSeconds(60));
        await delivering.WaitAsync(TimeSpan.FromSeconds(30));
        return (result, await _fe.Allocation);
    }

    private static async Task ScriptOfAsync(ScriptedFunctionExecutor fe)
    {
        var allocation = await fe.Allocation;
        await allocation.Script;
    }

    private static AllocationOutcome AssertOutcome(AllocationRunResult result, OutcomeCode outcome, AllocationFailureReason? reason)
    {
        Assert.NotNull(result.Outcome);
        Assert.Equal((outcome, reason), (result.Outcome.Outcome, result.Outcome.FailureReason));
        Assert.Null(result.TerminateFunctionExecutor);
        return result.Outcome;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_fe is not null)
        {
            await _fe.DisposeAsync();
        }
    }

    private sealed class UploadComparer : IEqualityComparer<(string Uri, IReadOnlyList<string> ETags)>
    {
        public bool Equals((string Uri, IReadOnlyList<string> ETags) x, (string Uri, IReadOnlyList<string> ETags) y) => x.Uri == y.Uri && x.ETags.SequenceEqual(y.ETags);

        public int GetHashCode((string Uri, IReadOnlyList<string> ETags) obj) => obj.Uri.GetHashCode(StringComparison.Ordinal);
    }
}

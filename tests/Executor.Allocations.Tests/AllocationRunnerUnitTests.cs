using System.Collections.Concurrent;
using Executor.Allocations;
using Executor.BlobStore;
using Executor.Configuration;
using Executor.FunctionExecutors;
using Executor.Model;
using Executor.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;
using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.Allocations.Tests;

/// <summary>Runner paths that cannot be timed from outside: a stop that lands while the inputs are being prepared.</summary>
public sealed class AllocationRunnerUnitTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task CancelledWhilePreparingIsAllocationCancelledWithoutDurationAndAbortsTheRequestErrorUpload()
    {
        var store = new ScriptedBlobStore { BlockPresign = true };
        var runner = NewRunner(store, out var client);
        using (client)
        {
            var run = runner.RunAsync();
            await store.PresignEntered.Task.WaitAsync(Patience);
            runner.Stop(AllocationStopReason.Cancelled);
            var result = await run.WaitAsync(Patience);

            // Better than upstream (INTERNAL_ERROR): the Server asked for the cancellation, so that is the outcome.
            Assert.NotNull(result.Outcome);
            Assert.Equal(OutcomeCode.Failure, result.Outcome.Outcome);
            Assert.Equal(AllocationFailureReason.AllocationCancelled, result.Outcome.FailureReason);
            Assert.Null(result.Outcome.ExecutionDurationMs);
            Assert.Null(result.TerminateFunctionExecutor);
            Assert.False(runner.HasStarted);
            Assert.Equal([("file:///blobs/ns/app/req.alloc-1.req_error", "upload-1")], store.Aborted);
        }
    }

    [Fact]
    public async Task StopThatPreparationDidNotNoticeStillNeverStartsTheAllocation()
    {
        // The stop lands inside preparation, which finishes anyway: the FE (unreachable here) must never be asked.
        var store = new ScriptedBlobStore();
        var runner = NewRunner(store, out var client);
        store.OnPresign = () => runner.Stop(AllocationStopReason.Cancelled);
        using (client)
        {
            var result = await runner.RunAsync().WaitAsync(Patience);
            Assert.Equal(AllocationFailureReason.AllocationCancelled, result.Outcome?.FailureReason);
            Assert.Null(result.Outcome?.ExecutionDurationMs);
            Assert.Null(result.TerminateFunctionExecutor);
            Assert.False(runner.HasStarted);
            Assert.Single(store.Aborted);
        }
    }

    [Fact]
    public async Task StopAfterTheRunFinishedIsIgnored()
    {
        var store = new ScriptedBlobStore { FailCreate = true };
        var runner = NewRunner(store, out var client);
        using (client)
        {
            var result = await runner.RunAsync().WaitAsync(Patience);
            Assert.Equal(AllocationFailureReason.InternalError, result.Outcome?.FailureReason);

            // The grain may still hold the runner for a moment; a late cancellation must not throw.
            runner.Stop(AllocationStopReason.Cancelled);
        }
    }

    [Theory]
    [InlineData(Fe.AllocationOutcomeCode.Success, null, OutcomeCode.Success, null)]
    [InlineData(Fe.AllocationOutcomeCode.Failure, Fe.AllocationFailureReason.FunctionError, OutcomeCode.Failure, AllocationFailureReason.FunctionError)]
    [InlineData(Fe.AllocationOutcomeCode.Failure, Fe.AllocationFailureReason.RequestError, OutcomeCode.Failure, AllocationFailureReason.RequestError)]
    [InlineData(Fe.AllocationOutcomeCode.Failure, Fe.AllocationFailureReason.InternalError, OutcomeCode.Failure, AllocationFailureReason.FunctionError)]
    [InlineData(Fe.AllocationOutcomeCode.Failure, Fe.AllocationFailureReason.ReplayEventHistoryMismatch, OutcomeCode.Failure, AllocationFailureReason.FunctionError)]
    [InlineData(Fe.AllocationOutcomeCode.Failure, Fe.AllocationFailureReason.Unknown, OutcomeCode.Failure, AllocationFailureReason.Unknown)]
    [InlineData(Fe.AllocationOutcomeCode.Failure, null, OutcomeCode.Failure, null)]
    [InlineData(Fe.AllocationOutcomeCode.Unknown, null, OutcomeCode.Unknown, null)]
    public void FunctionExecutorOutcomesMapByNameAsUpstream(Fe.AllocationOutcomeCode code, Fe.AllocationFailureReason? reason, OutcomeCode expectedCode, AllocationFailureReason? expectedReason)
    {
        var result = new Fe.AllocationResult { OutcomeCode = code };
        if (reason is { } r)
        {
            result.FailureReason = r;
        }

        Assert.Equal((expectedCode, expectedReason), FunctionExecutorMapping.MapOutcome(result));
    }

    [Theory]
    [InlineData("../a", "..%2Fa")]
    [InlineData("key_1.2-3~", "key_1.2-3~")]
    [InlineData("a b/ü", "a%20b%2F%C3%BC")]
    public void RequestStateKeysBecomeOnePathSegment(string key, string encoded) => Assert.Equal(encoded, RequestStateKey.Encode(key));

    private static AllocationRunner NewRunner(ScriptedBlobStore store, out FunctionExecutorClient client)
    {
        var spec = new AllocationSpec
        {
            AllocationId = "alloc-1",
            FunctionExecutorId = "fe-1",
            Function = new FunctionRef("ns", "app", "fn", null),
            FunctionCallId = "call-1",
            RequestId = "req",
            RequestDataPayloadUriPrefix = "file:///blobs/ns/app/req",
            RequestErrorPayloadUriPrefix = "file:///blobs/ns/app/req",
        };

        // Nothing listens on port 1: any FE RPC would fail, which the tests would notice.
        client = new FunctionExecutorClient("127.0.0.1:1");
        var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        return new AllocationRunner(spec, 60_000, client, new BlobMessages(store, new BlobStoreOptions()), new UnusedServer(), new ExecutorOptions(), new Host(), new AllocationMetrics(meters), NullLogger.Instance, TimeProvider.System);
    }

    private sealed class Host : IAllocationHost
    {
        public AllocationFailureReason FailureReasonForDeadExecutor => AllocationFailureReason.FunctionError;

        public void WatchAdded(AllocationRunner run, string watcherId, FunctionCallWatch watch)
        {
        }

        public void WatchRemoved(AllocationRunner run, string watcherId, FunctionCallWatch watch)
        {
        }
    }

    private sealed class UnusedServer : IServerConnection
    {
        public Task<ReportReceipt> ReportAsync(ExecutorReport report, CancellationToken cancellationToken) => throw new NotSupportedException();

        public IAsyncEnumerable<DesiredState> ReadDesiredStatesAsync(string executorId, TimeSpan idleTimeout, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task CallFunctionAsync(FunctionCallRequestSpec request, TimeSpan timeout, CancellationToken cancellationToken) => throw new NotSupportedException();

        public void RecycleChannel()
        {
        }

        public string? DescribeLastReport(bool json) => null;

        public string? DescribeLastDesiredState(bool json) => null;
    }

    /// <summary>A BLOB store that hands out upload ids, can hold presigning until cancelled, and records aborts.</summary>
    private sealed class ScriptedBlobStore : IBlobStore
    {
        private readonly ConcurrentQueue<(string Uri, string UploadId)> _aborted = new();

        public bool BlockPresign { get; init; }

        public bool FailCreate { get; init; }

        public Action? OnPresign { get; set; }

        public TaskCompletionSource PresignEntered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IReadOnlyList<(string Uri, string UploadId)> Aborted => [.. _aborted];

        public Task<string> CreateMultipartUploadAsync(string uri, CancellationToken cancellationToken) =>
            FailCreate ? throw new BlobStoreException("scripted failure") : Task.FromResult("upload-1");

        public async Task<string> PresignUploadPartAsync(string uri, string uploadId, int partNumber, CancellationToken cancellationToken)
        {
            PresignEntered.TrySetResult();
            OnPresign?.Invoke();
            if (BlockPresign)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            return uri;
        }

        public Task AbortMultipartUploadAsync(string uri, string uploadId, CancellationToken cancellationToken)
        {
            _aborted.Enqueue((uri, uploadId));
            return Task.CompletedTask;
        }

        public Task<byte[]> GetAsync(string uri, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<byte[]> GetRangeAsync(string uri, long offset, long length, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<long> GetSizeAsync(string uri, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task PutAsync(string uri, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<string> PresignGetAsync(string uri, CancellationToken cancellationToken) => Task.FromResult(uri);

        public Task CompleteMultipartUploadAsync(string uri, string uploadId, IReadOnlyList<string> partETags, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}

using Executor.Allocations.ExecutionLog;
using Executor.Allocations.Tests.Infrastructure;
using Executor.Model;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.Allocations.Tests.ExecutionLog;

/// <summary>
/// Issue 14: what one 0.1.3 allocation's execution-log batches turn into: acknowledgements the FE waits for, child calls
/// on the Server (never a tail call's), watches, exactly one result per watcher (TIMEDOUT at its deadline), the finish.
/// </summary>
public sealed class ExecutionLogProcessorTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly TurnScheduler _turns = new();
    private readonly AllocationEventLog _log = new();
    private readonly RecordingChildCalls _calls = new();
    private readonly AllocationDeadline _deadline;
    private readonly ExecutionLogProcessor _processor;

    public ExecutionLogProcessorTests()
    {
        _deadline = new AllocationDeadline(TimeSpan.FromMinutes(1), _time);
        _processor = new ExecutionLogProcessor("alloc", _log, _calls, _deadline, _time, NullLogger.Instance);
    }

    [Fact]
    public async Task ACreateIsAcknowledgedAtOnceButStartedOnlyWhenTheNextBatchShowsItIsNoTailCall()
    {
        Assert.Null(await ProcessAsync(Create("child")));
        Assert.Equal([("child", 0)], Acks());
        Assert.Empty(_calls.Started);

        await ProcessAsync(Watcher("child"));
        Assert.Equal(["child"], _calls.Started);
        Assert.Equal(["created child", "watcher_created child"], Entries());
        Assert.Equal(["child"], _calls.Watched);
    }

    [Fact]
    public async Task AFailedCreationIsAcknowledgedNotOkWithTheFunctionExecutorsOwnMetadataAndNeverStarted()
    {
        var metadata = ByteString.CopyFromUtf8("pickled SerializationError");
        await ProcessAsync(new Fe.AllocationExecutionEvent { FunctionCallCreationFailed = new Fe.AllocationExecutionEventFunctionCallCreationFailed { FunctionCallId = "bad", Metadata = metadata } });
        await ProcessAsync(Finish(Fe.AllocationOutcomeCode.Failure, Fe.AllocationFailureReason.FunctionError));

        var ack = Assert.Single(_log.Page("alloc", 0, 100)!.Entries).FunctionCallCreated;
        Assert.Equal("bad", ack.FunctionCallId);
        Assert.NotEqual(0, ack.Status.Code);
        Assert.Equal(metadata, ack.Metadata);
        Assert.Empty(_calls.Started);
    }

    [Fact]
    public async Task ATailCallsCreatesGoOnlyIntoTheFinishInOrderAndAreNeverStarted()
    {
        await ProcessAsync(Create("earlier"));
        await ProcessAsync(Create("tail", argsBlob: "args-1"), Create("input", argsBlob: "args-2"));
        var finish = await ProcessAsync(new Fe.AllocationExecutionEvent { FinishAllocation = new Fe.AllocationExecutionEventFinishAllocation { OutcomeCode = Fe.AllocationOutcomeCode.Success, TailCallDurableId = "tail" } });

        // The batch before the tail's was an ordinary child call: started when the tail's batch came.
        Assert.Equal(["earlier"], _calls.Started);
        Assert.NotNull(finish);
        Assert.Null(finish.InvalidTailCall);
        var tail = finish.TailCall!;
        Assert.Equal("tail", tail.RootFunctionCallId);
        Assert.Equal(["tail", "input"], tail.Parts.Select(p => p.Updates.RootFunctionCallId));
        Assert.Equal(["args-1", "args-2"], tail.Parts.Select(p => p.ArgsBlob!.Id));
        Assert.Equal([("earlier", 0), ("tail", 0), ("input", 0)], Acks());
    }

    [Fact]
    public async Task AFinishWithAValueStartsTheCallsCreatedBeforeIt()
    {
        await ProcessAsync(Create("fire-and-forget"));
        var finish = await ProcessAsync(Finish(Fe.AllocationOutcomeCode.Success, null));
        Assert.Equal(["fire-and-forget"], _calls.Started);
        Assert.Null(finish!.TailCall);
    }

    [Theory]
    [InlineData("never-created")]
    [InlineData("started")]
    public async Task ATailCallThatWasNotCreatedRightBeforeTheFinishIsInvalid(string tailId)
    {
        await ProcessAsync(Create("started"));
        await ProcessAsync(Watcher("started"));
        var finish = await ProcessAsync(new Fe.AllocationExecutionEvent { FinishAllocation = new Fe.AllocationExecutionEventFinishAllocation { OutcomeCode = Fe.AllocationOutcomeCode.Success, TailCallDurableId = tailId } });
        Assert.Null(finish!.TailCall);
        Assert.NotNull(finish.InvalidTailCall);
    }

    [Fact]
    public async Task AWatchedCallsResultFollowsItsWatcherOnceAndEndsTheWatch()
    {
        await ProcessAsync(Create("child"));
        await ProcessAsync(Watcher("child"));
        Assert.True(_deadline.IsHeld);

        await _turns.RunAsync(() => _processor.DeliverResult("child", Success("child")));
        await _turns.RunAsync(() => _processor.DeliverResult("child", Success("child")));
        await _turns.SettleAsync();

        Assert.Equal(["created child", "watcher_created child", "result child COMPLETED Success"], Entries());
        Assert.Equal(["child"], _calls.Unwatched);
        Assert.False(_deadline.IsHeld);
    }

    [Fact]
    public async Task AResultThatArrivesBeforeItsWatcherIsKeptUntilTheWatcherExists()
    {
        await ProcessAsync(Create("child"));
        await ProcessAsync(Create("other"));
        await _turns.RunAsync(() => _processor.DeliverResult("child", Success("child")));
        await _turns.SettleAsync();
        Assert.Equal(["created child", "created other"], Entries());

        await ProcessAsync(Watcher("child"));
        await _turns.SettleAsync();
        Assert.Equal(["created child", "created other", "watcher_created child", "result child COMPLETED Success"], Entries());
    }

    [Fact]
    public async Task AWatcherWithADeadlineGetsTimedOutThenAndALateResultIsDropped()
    {
        await ProcessAsync(Create("slow"));
        await ProcessAsync(Watcher("slow", deadline: _time.GetUtcNow() + TimeSpan.FromSeconds(30)));

        // Its own deadline bounds the wait: the allocation's clock keeps running.
        Assert.False(_deadline.IsHeld);
        _time.Advance(TimeSpan.FromSeconds(29));
        await _turns.SettleAsync();
        Assert.Equal(["created slow", "watcher_created slow"], Entries());

        _time.Advance(TimeSpan.FromSeconds(1));
        await _turns.SettleAsync();
        Assert.Equal(["created slow", "watcher_created slow", "result slow TIMEDOUT Failure"], Entries());
        Assert.Equal(["slow"], _calls.Unwatched);

        await _turns.RunAsync(() => _processor.DeliverResult("slow", Success("slow")));
        await _turns.SettleAsync();
        Assert.Equal(3, _log.Page("alloc", 0, 100)!.Entries.Count);
    }

    [Fact]
    public async Task ACallTheServerRefusedIsAnsweredAsFailedToItsWatcher()
    {
        _calls.Refuse.Add("refused");
        await ProcessAsync(Create("refused"));
        await ProcessAsync(Watcher("refused"));
        Assert.Equal(["created refused", "watcher_created refused", "result refused COMPLETED Failure"], Entries());
        Assert.Empty(_calls.Watched);
        Assert.False(_deadline.IsHeld);
    }

    [Fact]
    public async Task ABatchSeenTwiceChangesNothing()
    {
        var batch = new[] { Create("a"), Create("b") };
        await ProcessAsync(batch);
        await ProcessAsync(batch);
        Assert.Equal([("a", 0), ("b", 0)], Acks());

        // Still held: the repeat said nothing about whether they are a tail call.
        Assert.Empty(_calls.Started);

        await ProcessAsync(Watcher("a"));
        await ProcessAsync(Watcher("a"));
        Assert.Equal(["a", "b"], _calls.Started);
        Assert.Equal(["created a", "created b", "watcher_created a"], Entries());
    }

    [Fact]
    public async Task ClosingWithdrawsOutstandingWatchesAndReleasesTheDeadline()
    {
        await ProcessAsync(Create("child"));
        await ProcessAsync(Watcher("child"));
        await _turns.RunAsync(_processor.CloseAsync);
        Assert.Equal(["child"], _calls.Unwatched);
        Assert.False(_deadline.IsHeld);
    }

    private Task<AllocationFinish?> ProcessAsync(params Fe.AllocationExecutionEvent[] batch) => _turns.RunAsync(() => _processor.ProcessAsync(batch));

    private List<(string Id, int Code)> Acks() =>
        [.. (_log.Page("alloc", 0, 1000)?.Entries ?? []).Where(e => e.FunctionCallCreated is not null).Select(e => (e.FunctionCallCreated.FunctionCallId, e.FunctionCallCreated.Status.Code))];

    private List<string> Entries() => [.. (_log.Page("alloc", 0, 1000)?.Entries ?? []).Select(Describe)];

    private static string Describe(Fe.AllocationEvent entry) => entry.EventCase switch
    {
        Fe.AllocationEvent.EventOneofCase.FunctionCallCreated => $"created {entry.FunctionCallCreated.FunctionCallId}",
        Fe.AllocationEvent.EventOneofCase.FunctionCallWatcherCreated => $"watcher_created {entry.FunctionCallWatcherCreated.FunctionCallId}",
        Fe.AllocationEvent.EventOneofCase.FunctionCallWatcherResult => $"result {entry.FunctionCallWatcherResult.FunctionCallId} {entry.FunctionCallWatcherResult.WatcherStatus.ToString().ToUpperInvariant()} {entry.FunctionCallWatcherResult.OutcomeCode}",
        _ => "?",
    };

    private static Fe.AllocationExecutionEvent Create(string id, string? argsBlob = null)
    {
        var create = new Fe.AllocationExecutionEventCreateFunctionCall
        {
            Updates = new Fe.ExecutionPlanUpdates
            {
                RootFunctionCallId = id,
                Updates = { new Fe.ExecutionPlanUpdate { FunctionCall = new Fe.FunctionCall { Id = id, Target = new Fe.FunctionRef { Namespace = "ns", ApplicationName = "app", FunctionName = "fn" } } } },
            },
        };
        if (argsBlob is not null)
        {
            create.ArgsBlob = new Fe.BLOB { Id = argsBlob, Chunks = { new Fe.BLOBChunk { Uri = "file:///part", Size = 1, Etag = "e" } } };
        }

        return new Fe.AllocationExecutionEvent { CreateFunctionCall = create };
    }

    private static Fe.AllocationExecutionEvent Watcher(string id, DateTimeOffset? deadline = null)
    {
        var watcher = new Fe.AllocationExecutionEventCreateFunctionCallWatcher { FunctionCallId = id };
        if (deadline is { } at)
        {
            watcher.Deadline = Timestamp.FromDateTimeOffset(at);
        }

        return new Fe.AllocationExecutionEvent { CreateFunctionCallWatcher = watcher };
    }

    private static Fe.AllocationExecutionEvent Finish(Fe.AllocationOutcomeCode code, Fe.AllocationFailureReason? reason)
    {
        var finish = new Fe.AllocationExecutionEventFinishAllocation { OutcomeCode = code };
        if (reason is { } r)
        {
            finish.FailureReason = r;
        }

        return new Fe.AllocationExecutionEvent { FinishAllocation = finish };
    }

    private static FunctionCallResultSpec Success(string id) => new()
    {
        Namespace = "ns",
        RequestId = "req",
        FunctionCallId = id,
        Outcome = OutcomeCode.Success,
        ReturnValue = new DataPayloadRef { Uri = "file:///value", Sha256 = "x", Encoding = PayloadEncoding.Utf8Text, Size = 1 },
    };

    /// <summary>Child calls as the processor sees them: started (or refused), watched, their results read at once.</summary>
    private sealed class RecordingChildCalls : IChildCalls
    {
        public List<string> Started { get; } = [];

        public HashSet<string> Refuse { get; } = [];

        public List<string> Watched { get; } = [];

        public List<string> Unwatched { get; } = [];

        public Task StartAsync(Fe.AllocationExecutionEventCreateFunctionCall create)
        {
            var id = create.Updates.RootFunctionCallId;
            if (Refuse.Contains(id))
            {
                return Task.FromException(new InvalidDataException("refused by the Server"));
            }

            Started.Add(id);
            return Task.CompletedTask;
        }

        public void Watch(string functionCallId) => Watched.Add(functionCallId);

        public void Unwatch(string functionCallId) => Unwatched.Add(functionCallId);

        public Task<Fe.AllocationEventFunctionCallWatcherResult> ToWatcherResultAsync(string functionCallId, FunctionCallResultSpec result) =>
            Task.FromResult(new Fe.AllocationEventFunctionCallWatcherResult
            {
                FunctionCallId = functionCallId,
                WatcherStatus = Fe.FunctionCallWatcherStatus.Completed,
                OutcomeCode = result.Outcome == OutcomeCode.Success ? Fe.AllocationOutcomeCode.Success : Fe.AllocationOutcomeCode.Failure,
            });
    }
}

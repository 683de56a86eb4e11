using Executor.Protocol.FunctionExecutorV1;
using Executor.Testing;

namespace TestFunctionExecutor.Tests.Infrastructure;

/// <summary>
/// One 0.1.3 allocation driven step by step by the test: the state side (output BLOBs, request
/// state) is answered in the background, while the execution log and the event log are left to the
/// test (get, advance, reads, pages).
/// </summary>
public sealed class RawAllocation013 : IAsyncDisposable
{
    private readonly FunctionExecutor.FunctionExecutorClient _client;
    private readonly ExecutorPeer _statePeer;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _state;

    private RawAllocation013(FunctionExecutor.FunctionExecutorClient client, TempDirectory dir, string allocationId)
    {
        _client = client;
        AllocationId = allocationId;
        StateSide = new AllocationRun(allocationId);
        EventLog = new ExecutorEventLog(allocationId);
        _statePeer = new ExecutorPeer(client, dir);
        _state = Task.Run(() => _statePeer.AnswerStateAsync(StateSide, _stop.Token));
    }

    public string AllocationId { get; }

    public AllocationRun StateSide { get; }

    /// <summary>A helper log for building valid pages (clocks 1, 2, …).</summary>
    public ExecutorEventLog EventLog { get; }

    public static async Task<RawAllocation013> CreateAsync(FunctionExecutor.FunctionExecutorClient client, TempDirectory dir, Allocation allocation)
    {
        await client.create_allocationAsync(new CreateAllocationRequest { Allocation = allocation }, deadline: FunctionExecutorProcess.Deadline);
        return Attach(client, dir, allocation.AllocationId);
    }

    /// <summary>Starts answering the state side of an allocation the test created itself.</summary>
    public static RawAllocation013 Attach(FunctionExecutor.FunctionExecutorClient client, TempDirectory dir, string allocationId) => new(client, dir, allocationId);

    /// <summary>A SUCCESS watcher result whose value is <paramref name="text"/> (UTF-8) in a readable file BLOB.</summary>
    public AllocationEventFunctionCallWatcherResult ChildValue(string name, string text)
    {
        var (value, blob) = _statePeer.CreateValue(name, System.Text.Encoding.UTF8.GetBytes(text), SerializedObjectEncoding.Utf8Text);
        return new AllocationEventFunctionCallWatcherResult { WatcherStatus = FunctionCallWatcherStatus.Completed, OutcomeCode = AllocationOutcomeCode.Success, ValueOutput = value, ValueBlob = blob };
    }

    public ReadsStream OpenReads() => new(_client, AllocationId);

    /// <summary>get_allocation_execution_log_batch with a deadline (default: the usual call timeout).</summary>
    public async Task<IReadOnlyList<AllocationExecutionEvent>> GetAsync(TimeSpan? timeout = null)
        => (await _client.get_allocation_execution_log_batchAsync(new GetAllocationExecutionLogBatchRequest { AllocationId = AllocationId },
            deadline: DateTime.UtcNow + (timeout ?? FunctionExecutorProcess.CallTimeout))).Events;

    public async Task AdvanceAsync()
        => await _client.advance_allocation_execution_log_batchAsync(new AdvanceAllocationExecutionLogBatchRequest { AllocationId = AllocationId }, deadline: FunctionExecutorProcess.Deadline);

    /// <summary>Sends a page as is.</summary>
    public async Task SendAsync(ReadAllocationEventLogResponse page)
    {
        page.AllocationId = AllocationId;
        await _client.send_allocation_event_log_read_responseAsync(page, deadline: FunctionExecutorProcess.Deadline);
    }

    /// <summary>Answers <paramref name="read"/> from <see cref="EventLog"/> (waiting for entries after it).</summary>
    public async Task AnswerAsync(ReadAllocationEventLogRequest read)
    {
        using var cts = new CancellationTokenSource(FunctionExecutorProcess.CallTimeout);
        await SendAsync(await EventLog.PageAsync(read, cts.Token));
    }

    /// <summary>Gets and advances batches until the finish, and returns it.</summary>
    public async Task<AllocationExecutionEventFinishAllocation> FinishAsync()
    {
        while (true)
        {
            var batch = await GetAsync();
            Assert.NotEmpty(batch);
            await AdvanceAsync();
            if (batch.FirstOrDefault(e => e.EventCase == AllocationExecutionEvent.EventOneofCase.FinishAllocation) is { } finish)
            {
                return finish.FinishAllocation;
            }
        }
    }

    /// <summary>Waits until the allocation is fully finished (its state stream ended).</summary>
    public async Task WaitUntilFinishedAsync()
    {
        using var cts = new CancellationTokenSource(FunctionExecutorProcess.CallTimeout);
        await _state.WaitAsync(cts.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _state;
        }
        catch (Exception ex) when (ex is OperationCanceledException or Grpc.Core.RpcException)
        {
            // The FE may be gone or the stream cancelled.
        }

        _stop.Dispose();
    }
}

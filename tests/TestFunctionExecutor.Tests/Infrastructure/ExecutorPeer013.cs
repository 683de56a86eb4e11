using Executor.Protocol.FunctionExecutorV1;
using Executor.Testing;
using Grpc.Core;

namespace TestFunctionExecutor.Tests.Infrastructure;

/// <summary>
/// Plays the executor's side of one 0.1.3 allocation over raw gRPC, as a correct executor does:
/// create_allocation, then three loops — (A) the state stream, answering output BLOBs and
/// request-state operations; (B) get → process → advance until the finish batch; (C) the event-log
/// reads stream, answering each read once (by after_clock, so a read republished after a reconnect
/// is not answered twice) with the entries after it, held until there are some. Every
/// create_function_call gets a function_call_created, every function_call_creation_failed a non-OK
/// function_call_created with the same metadata, every watcher a watcher_created and then the result
/// the test supplies or, for a watcher with a deadline, TIMEDOUT at the deadline. After the finish:
/// wait for the state stream to end, then delete_allocation.
/// </summary>
public sealed class ExecutorPeer013(FunctionExecutor.FunctionExecutorClient client, TempDirectory dir)
{
    private static readonly Google.Rpc.Status Ok = new() { Code = 0 };

    private ExecutorPeer? _statePeer;

    /// <summary>Chunk size of the writable BLOBs handed out.</summary>
    public long OutputChunkSize { get; init; } = FileBlobs.DefaultChunkSize;

    /// <summary>Status for each output BLOB request (default OK).</summary>
    public Func<AllocationOutputBLOBRequest, Google.Rpc.Status> OnOutputBlobRequest { get; init; } = _ => Ok;

    /// <summary>Status of the function_call_created ack for each create_function_call (default OK).</summary>
    public Func<AllocationExecutionEventCreateFunctionCall, Google.Rpc.Status> OnFunctionCall { get; init; } = _ => Ok;

    /// <summary>The ack for each function_call_creation_failed (default: INVALID_ARGUMENT with the same metadata, as the executor must).</summary>
    public Func<AllocationExecutionEventFunctionCallCreationFailed, AllocationEventFunctionCallCreated> OnCreationFailed { get; init; } = failed => new AllocationEventFunctionCallCreated
    {
        FunctionCallId = failed.FunctionCallId,
        Status = new Google.Rpc.Status { Code = 3, Message = "function call arguments could not be serialized" },
        Metadata = failed.Metadata,
    };

    /// <summary>Status of the watcher_created ack for each watcher (default OK; non-OK sends no result).</summary>
    public Func<AllocationExecutionEventCreateFunctionCallWatcher, Google.Rpc.Status> OnWatcherCreated { get; init; } = _ => Ok;

    /// <summary>
    /// The result for a new watcher, given the create event of its call (function_call_id is filled in); null = the
    /// child never finishes, so a watcher with a deadline gets TIMEDOUT then and one without waits forever.
    /// </summary>
    public Func<AllocationExecutionEventCreateFunctionCallWatcher, AllocationExecutionEventCreateFunctionCall?, AllocationEventFunctionCallWatcherResult?> OnWatcher { get; init; } = (_, _) => null;

    /// <summary>Request-state values by key, as committed by the FE (file paths).</summary>
    public IReadOnlyDictionary<string, string> StateFiles => StatePeer.StateFiles;

    private ExecutorPeer StatePeer => _statePeer ??= new ExecutorPeer(client, dir) { OutputChunkSize = OutputChunkSize, OnOutputBlobRequest = OnOutputBlobRequest };

    public async Task<AllocationRun013> RunAsync(Allocation allocation, TimeSpan? timeout = null)
    {
        var run = new AllocationRun013(allocation.AllocationId);
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        await client.create_allocationAsync(new CreateAllocationRequest { Allocation = allocation }, cancellationToken: cts.Token);

        using var readsDone = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
        var state = Task.Run(() => StatePeer.AnswerStateAsync(run.StateSide, cts.Token));
        var reads = Task.Run(() => AnswerReadsAsync(run, readsDone.Token));
        try
        {
            await ProcessExecutionLogAsync(run, cts.Token);
            // The state stream ends once the allocation is fully finished; only then is delete allowed.
            await state;
        }
        finally
        {
            await readsDone.CancelAsync();
            await reads;
        }

        await client.delete_allocationAsync(new DeleteAllocationRequest { AllocationId = allocation.AllocationId }, cancellationToken: cts.Token);
        return run;
    }

    /// <summary>A SUCCESS result whose value is <paramref name="bytes"/> in a readable file BLOB.</summary>
    public AllocationEventFunctionCallWatcherResult ChildValue(string name, byte[] bytes, SerializedObjectEncoding encoding = SerializedObjectEncoding.Utf8Text)
    {
        var (value, blob) = StatePeer.CreateValue(name, bytes, encoding);
        return new AllocationEventFunctionCallWatcherResult
        {
            WatcherStatus = FunctionCallWatcherStatus.Completed,
            OutcomeCode = AllocationOutcomeCode.Success,
            ValueOutput = value,
            ValueBlob = blob,
        };
    }

    /// <summary>A SUCCESS result whose value is the child's own argument, as an echo child returns it.</summary>
    public AllocationEventFunctionCallWatcherResult EchoChild(AllocationExecutionEventCreateFunctionCall create)
    {
        var argument = Assert.Single(create.Updates.Updates).FunctionCall.Args.Single().Value;
        return ChildValue("echo-" + create.Updates.RootFunctionCallId, FileBlobs.ReadValue(argument, create.ArgsBlob), argument.Manifest.Encoding);
    }

    /// <summary>A FAILURE result carrying a request error <paramref name="message"/>.</summary>
    public AllocationEventFunctionCallWatcherResult ChildRequestError(string name, string message)
    {
        var (value, blob) = StatePeer.CreateValue(name, System.Text.Encoding.UTF8.GetBytes(message), SerializedObjectEncoding.Utf8Text);
        return new AllocationEventFunctionCallWatcherResult
        {
            WatcherStatus = FunctionCallWatcherStatus.Completed,
            OutcomeCode = AllocationOutcomeCode.Failure,
            RequestErrorOutput = value,
            RequestErrorBlob = blob,
        };
    }

    public static AllocationEventFunctionCallWatcherResult ChildFailure() => new()
    {
        WatcherStatus = FunctionCallWatcherStatus.Completed,
        OutcomeCode = AllocationOutcomeCode.Failure,
    };

    private async Task ProcessExecutionLogAsync(AllocationRun013 run, CancellationToken cancellationToken)
    {
        while (true)
        {
            var batch = await client.get_allocation_execution_log_batchAsync(new GetAllocationExecutionLogBatchRequest { AllocationId = run.AllocationId }, cancellationToken: cancellationToken);
            if (batch.Events.Count == 0)
            {
                throw new InvalidOperationException($"the execution log of {run.AllocationId} ended without a finish");
            }

            run.Batches.Add([.. batch.Events]);
            foreach (var executionEvent in batch.Events)
            {
                Process(run, executionEvent, cancellationToken);
            }

            await client.advance_allocation_execution_log_batchAsync(new AdvanceAllocationExecutionLogBatchRequest { AllocationId = run.AllocationId }, cancellationToken: cancellationToken);
            if (batch.Events.Any(e => e.EventCase == AllocationExecutionEvent.EventOneofCase.FinishAllocation))
            {
                return;
            }
        }
    }

    private void Process(AllocationRun013 run, AllocationExecutionEvent executionEvent, CancellationToken cancellationToken)
    {
        var log = run.EventLog;
        switch (executionEvent.EventCase)
        {
            case AllocationExecutionEvent.EventOneofCase.CreateFunctionCall:
                var create = executionEvent.CreateFunctionCall;
                run.Creates[create.Updates.RootFunctionCallId] = create;
                log.Created(create.Updates.RootFunctionCallId, OnFunctionCall(create));
                break;
            case AllocationExecutionEvent.EventOneofCase.FunctionCallCreationFailed:
                var ack = OnCreationFailed(executionEvent.FunctionCallCreationFailed);
                ack.FunctionCallId = executionEvent.FunctionCallCreationFailed.FunctionCallId;
                log.Append(new AllocationEvent { FunctionCallCreated = ack });
                break;
            case AllocationExecutionEvent.EventOneofCase.CreateFunctionCallWatcher:
                var watcher = executionEvent.CreateFunctionCallWatcher;
                var status = OnWatcherCreated(watcher);
                log.WatcherCreated(watcher.FunctionCallId, status);
                if (status.Code != 0)
                {
                    break;
                }

                if (OnWatcher(watcher, run.Creates.GetValueOrDefault(watcher.FunctionCallId)) is { } result)
                {
                    log.WatcherResult(watcher.FunctionCallId, result);
                }
                else if (watcher.Deadline is { } deadline)
                {
                    _ = TimeOutAsync(log, watcher.FunctionCallId, deadline.ToDateTime(), cancellationToken);
                }

                break;
            case AllocationExecutionEvent.EventOneofCase.FinishAllocation:
                run.Finish = executionEvent.FinishAllocation;
                break;
        }
    }

    /// <summary>The executor's watcher timer: TIMEDOUT once the deadline passed.</summary>
    private static async Task TimeOutAsync(ExecutorEventLog log, string functionCallId, DateTime deadline, CancellationToken cancellationToken)
    {
        var remaining = deadline - DateTime.UtcNow;
        if (remaining > TimeSpan.Zero)
        {
            await Task.Delay(remaining, cancellationToken);
        }

        log.WatcherResult(functionCallId, new AllocationEventFunctionCallWatcherResult { WatcherStatus = FunctionCallWatcherStatus.Timedout });
    }

    /// <summary>
    /// Answers each read once, reopening the stream when it breaks (the FE republishes the pending read), until the
    /// stream ends or the run is over. Gives up after a few streams in a row broke before delivering anything.
    /// </summary>
    private async Task AnswerReadsAsync(AllocationRun013 run, CancellationToken cancellationToken)
    {
        const int MaxFruitlessStreams = 3;
        var answered = new HashSet<ulong>();
        var fruitless = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            run.ReadStreamsOpened++;
            var delivered = false;
            try
            {
                using var stream = client.watch_allocation_event_log_reads(new WatchAllocationEventLogReads { AllocationId = run.AllocationId }, cancellationToken: cancellationToken);
                await foreach (var read in stream.ResponseStream.ReadAllAsync(cancellationToken))
                {
                    delivered = true;
                    run.ReadRequests.Enqueue(read);
                    if (!answered.Add(read.AfterClock))
                    {
                        continue;
                    }

                    var page = await run.EventLog.PageAsync(read, cancellationToken);
                    run.Pages.Enqueue(page);
                    await client.send_allocation_event_log_read_responseAsync(page, cancellationToken: cancellationToken);
                }

                return;
            }
            catch (Exception ex) when (ex is RpcException or OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException)
            {
                // A broken stream: reopen it; the FE republishes the pending read.
                fruitless = delivered ? 0 : fruitless + 1;
                if (fruitless >= MaxFruitlessStreams)
                {
                    throw;
                }
            }
        }
    }
}

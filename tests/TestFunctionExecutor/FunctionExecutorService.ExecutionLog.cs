using Executor.Protocol.FunctionExecutorV1;
using Grpc.Core;

namespace TestFunctionExecutor;

/// <summary>
/// The four 0.1.3 RPCs: the execution log (get/advance) and the event log (read requests out,
/// pages in). A 0.1.2 FE answers them UNIMPLEMENTED, as the real 0.1.2 FE (which lacks them) does.
/// Unknown or deleted allocations are NOT_FOUND.
/// </summary>
internal sealed partial class FunctionExecutorService
{
    /// <summary>break_reads: how long the first reads stream lives after delivering its first read.</summary>
    private static readonly TimeSpan BreakReadsDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>The head batch, waiting (without a server-side limit) until there is one; an empty batch once the allocation stopped and everything was advanced.</summary>
    public override async Task<GetAllocationExecutionLogBatchResponse> get_allocation_execution_log_batch(GetAllocationExecutionLogBatchRequest request, ServerCallContext context)
    {
        var runner = Find013(request.AllocationId);
        var batch = await runner.ExecutionLog.GetCurrentBatchAsync(context.CancellationToken).ConfigureAwait(false);
        var response = new GetAllocationExecutionLogBatchResponse();
        if (batch is not null)
        {
            response.Events.AddRange(batch);
        }

        return response;
    }

    /// <summary>Pops the head batch (a second advance pops the next, unseen one); OK when there is none.</summary>
    public override Task<Empty> advance_allocation_execution_log_batch(AdvanceAllocationExecutionLogBatchRequest request, ServerCallContext context)
    {
        var runner = Find013(request.AllocationId);
        runner.ExecutionLog.Advance();
        FeLog.Info($"allocation {runner.Id}: execution log advanced");
        return Task.FromResult(new Empty());
    }

    /// <summary>The pending read at once (republished to every stream), then each new one; ends when the allocation stops reading.</summary>
    public override async Task watch_allocation_event_log_reads(WatchAllocationEventLogReads request, IServerStreamWriter<ReadAllocationEventLogRequest> responseStream, ServerCallContext context)
    {
        var runner = Find013(request.AllocationId);
        var breakAfterFirst = host.Script?.BreakReads == true && runner.TryClaimReadsBreak();
        await foreach (var read in runner.EventLogReads.WatchAsync(context.CancellationToken).ConfigureAwait(false))
        {
            await responseStream.WriteAsync(read, context.CancellationToken).ConfigureAwait(false);
            if (breakAfterFirst)
            {
                // Give the read time to reach the executor, then reset the HTTP/2 stream as a dropped connection would;
                // the read stays pending (unless answered meanwhile) and is republished to the next stream.
                await Task.Delay(BreakReadsDelay, context.CancellationToken).ConfigureAwait(false);
                FeLog.Info($"allocation {runner.Id}: resetting the event log reads stream as scripted");
                context.GetHttpContext().Abort();
                return;
            }
        }
    }

    /// <summary>The answer to the pending read, whatever it contains (the allocation checks it); with no read pending it is ignored with a warning.</summary>
    public override Task<Empty> send_allocation_event_log_read_response(ReadAllocationEventLogResponse request, ServerCallContext context)
    {
        var runner = Find013(request.AllocationId);
        if (!runner.EventLogReads.Deliver(request))
        {
            FeLog.Error($"allocation {runner.Id}: late or duplicate allocation event-log response ignored ({request.Entries.Count} entries)");
        }

        return Task.FromResult(new Empty());
    }

    private AllocationRunner013 Find013(string allocationId)
    {
        if (!Speaks013)
        {
            throw new RpcException(new Status(StatusCode.Unimplemented, "Method not found!"));
        }

        return (AllocationRunner013)Find(allocationId);
    }
}

using Executor.FunctionExecutors;
using Grpc.Core;

namespace Executor.Allocations.ExecutionLog;

/// <summary>
/// 0.1.3: answers the FE's event-log reads for one allocation from its event log. One long-lived stream carries the
/// reads; a read is answered as soon as the log has entries after its clock and held until then (long poll). A
/// stream broken in the transport is reopened a few times (the FE republishes its pending read there), and the
/// ledger keeps every read answered at most once.
/// </summary>
public sealed class EventLogReadResponder(AllocationContext context, AllocationEventLog log)
{
    private const int MaxReopens = 3;

    private readonly EventLogReadLedger _ledger = new();

    /// <summary>Runs until the FE stops reading (its stream ends) or <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var client = context.Client;
        var call = client.WatchEventLogReads(context.AllocationId, cancellationToken);
        Task<bool>? next = null;
        var reopenAttempts = 0;
        try
        {
            while (true)
            {
                if (_ledger.TakeAnswer(log, context.AllocationId) is { } page)
                {
                    await client.SendEventLogReadResponseAsync(page, context.Options.FunctionExecutorRpcTimeout, cancellationToken);
                    continue;
                }

                next ??= call.ResponseStream.MoveNext(cancellationToken);
                // Whichever comes first: another read, or entries for the held one.
                if (_ledger.Held is { } held)
                {
                    await Task.WhenAny(next, log.AppendedAfterAsync(held.AfterClock));
                }
                else
                {
                    await Task.WhenAny(next);
                }

                if (!next.IsCompleted)
                {
                    continue;
                }

                bool hasRead;
                try
                {
                    hasRead = await next;
                }
                catch (RpcException ex) when (FunctionExecutorClient.IsTransportFailure(ex) && reopenAttempts < MaxReopens && !cancellationToken.IsCancellationRequested)
                {
                    // The FE republishes its pending read to a new stream; the ledger drops it if it was answered.
                    reopenAttempts++;
                    AllocationLog.EventLogReadsReopened(context.Logger, context.AllocationId, reopenAttempts, ex.Status.Detail);
                    call.Dispose();
                    await Task.Delay(TimeSpan.FromMilliseconds(50 * reopenAttempts), context.Time, cancellationToken);
                    call = client.WatchEventLogReads(context.AllocationId, cancellationToken);
                    next = null;
                    continue;
                }

                next = null;
                if (!hasRead)
                {
                    // The FE stopped reading: the allocation finished or the FE is stopping.
                    return;
                }

                reopenAttempts = 0;
                var read = call.ResponseStream.Current;
                if (!_ledger.Offer(read))
                {
                    AllocationLog.EventLogReadIgnored(context.Logger, context.AllocationId, read.AfterClock);
                }
                else if (read.AfterClock > log.LastClock)
                {
                    AllocationLog.EventLogReadBeyondLog(context.Logger, context.AllocationId, read.AfterClock, log.LastClock);
                }
            }
        }
        finally
        {
            call.Dispose();
        }
    }
}

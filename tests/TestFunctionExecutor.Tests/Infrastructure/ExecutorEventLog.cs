using Executor.Protocol.FunctionExecutorV1;

namespace TestFunctionExecutor.Tests.Infrastructure;

/// <summary>
/// The executor's event log of one allocation (0.1.3): entries get clocks 1, 2, … as they are
/// appended, and a read is answered with the entries after its after_clock once there are any.
/// </summary>
public sealed class ExecutorEventLog(string allocationId)
{
    private readonly Lock _gate = new();
    private readonly List<AllocationEvent> _entries = [];
    private TaskCompletionSource _appended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<AllocationEvent> Entries
    {
        get
        {
            lock (_gate)
            {
                return [.. _entries];
            }
        }
    }

    /// <summary>Appends with the next clock and returns the entry.</summary>
    public AllocationEvent Append(AllocationEvent entry)
    {
        TaskCompletionSource appended;
        lock (_gate)
        {
            entry.Clock = (ulong)_entries.Count + 1;
            _entries.Add(entry);
            appended = _appended;
            _appended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        appended.TrySetResult();
        return entry;
    }

    public AllocationEvent Created(string functionCallId, Google.Rpc.Status? status = null, Google.Protobuf.ByteString? metadata = null)
    {
        var created = new AllocationEventFunctionCallCreated { FunctionCallId = functionCallId, Status = status ?? Ok };
        if (metadata is not null)
        {
            created.Metadata = metadata;
        }

        return Append(new AllocationEvent { FunctionCallCreated = created });
    }

    public AllocationEvent WatcherCreated(string functionCallId, Google.Rpc.Status? status = null)
        => Append(new AllocationEvent { FunctionCallWatcherCreated = new AllocationEventFunctionCallWatcherCreated { FunctionCallId = functionCallId, Status = status ?? Ok } });

    public AllocationEvent WatcherResult(string functionCallId, AllocationEventFunctionCallWatcherResult result)
    {
        result.FunctionCallId = functionCallId;
        return Append(new AllocationEvent { FunctionCallWatcherResult = result });
    }

    /// <summary>The page for a read: up to max_entries entries after its clock, last_clock = the last one's clock, has_more when more remain.</summary>
    public async Task<ReadAllocationEventLogResponse> PageAsync(ReadAllocationEventLogRequest read, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task appended;
            lock (_gate)
            {
                var after = _entries.Where(e => e.Clock > read.AfterClock).ToList();
                if (after.Count > 0)
                {
                    var page = after.Take((int)Math.Max(1, read.MaxEntries)).ToList();
                    var response = new ReadAllocationEventLogResponse { AllocationId = allocationId, LastClock = page[^1].Clock, HasMore = page.Count < after.Count };
                    response.Entries.AddRange(page.Select(e => e.Clone()));
                    return response;
                }

                appended = _appended.Task;
            }

            await appended.WaitAsync(cancellationToken);
        }
    }

    public static Google.Rpc.Status Ok => new() { Code = 0 };
}

using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.Allocations.ExecutionLog;

/// <summary>
/// 0.1.3: the events the executor tells the FE about one allocation (function call created, watcher created,
/// watcher result), in the order they happened. Clocks start at 1 and grow by one, so they are strictly increasing
/// and never reused; the FE reads the log in pages after the last clock it consumed. Used on one scheduler only.
/// </summary>
public sealed class AllocationEventLog
{
    /// <summary>Clocks travel as JSON-safe integers in some FEs (2^53 - 1).</summary>
    public const ulong MaxClock = (1UL << 53) - 1;

    /// <summary>The page size used when a read does not say how many entries it takes.</summary>
    public const uint DefaultPageSize = 100;

    private readonly List<Fe.AllocationEvent> _entries = [];
    private TaskCompletionSource _appended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The clock of the newest entry; 0 while the log is empty.</summary>
    public ulong LastClock => (ulong)_entries.Count;

    /// <summary>Appends an entry (its clock is assigned here) and wakes readers waiting for it.</summary>
    public ulong Append(Fe.AllocationEvent entry)
    {
        if (LastClock >= MaxClock)
        {
            throw new InvalidOperationException("the allocation's event log is full");
        }

        var stamped = entry.Clone();
        stamped.Clock = LastClock + 1;
        _entries.Add(stamped);
        var appended = _appended;
        _appended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        appended.TrySetResult();
        return stamped.Clock;
    }

    /// <summary>
    /// The page answering a read after <paramref name="afterClock"/>: up to <paramref name="maxEntries"/> entries with
    /// larger clocks, last_clock = the last one returned, has_more when more remain. Null when there is nothing after
    /// that clock yet: the read is held until there is (an empty page would only make the FE read again at once).
    /// </summary>
    public Fe.ReadAllocationEventLogResponse? Page(string allocationId, ulong afterClock, uint maxEntries)
    {
        if (afterClock >= LastClock)
        {
            return null;
        }

        var limit = maxEntries == 0 ? DefaultPageSize : maxEntries;
        var first = (int)afterClock;
        var count = (int)Math.Min(limit, LastClock - afterClock);
        var page = new Fe.ReadAllocationEventLogResponse { AllocationId = allocationId };
        page.Entries.AddRange(_entries.GetRange(first, count).Select(e => e.Clone()));
        page.LastClock = page.Entries[^1].Clock;
        page.HasMore = page.LastClock < LastClock;
        return page;
    }

    /// <summary>Completes once the log has an entry after <paramref name="clock"/>.</summary>
    public Task AppendedAfterAsync(ulong clock) => LastClock > clock ? Task.CompletedTask : WaitAsync(clock);

    private async Task WaitAsync(ulong clock)
    {
        while (LastClock <= clock)
        {
            await _appended.Task;
        }
    }
}

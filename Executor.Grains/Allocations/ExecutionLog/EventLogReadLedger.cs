using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.Allocations.ExecutionLog;

/// <summary>
/// 0.1.3: the FE's event-log read the executor owes an answer to. The FE keeps one read outstanding and moves
/// its after_clock forward with every page it accepts, and some FEs republish a pending read to a reopened
/// stream. A read is therefore answered at most once, keyed by its after_clock: a duplicate answer would be taken
/// as the answer to the FE's next read, fail its page checks, and fail the allocation.
/// </summary>
public sealed class EventLogReadLedger
{
    private ulong? _lastAnswered;

    /// <summary>The read waiting for entries, if any.</summary>
    public Fe.ReadAllocationEventLogRequest? Held { get; private set; }

    /// <summary>
    /// Takes a read received from the FE; false when it is already answered or older than the one held (a
    /// republished or stale read), which is then ignored.
    /// </summary>
    public bool Offer(Fe.ReadAllocationEventLogRequest read)
    {
        if (_lastAnswered is { } answered && read.AfterClock <= answered)
        {
            return false;
        }

        if (Held is { } held && read.AfterClock < held.AfterClock)
        {
            return false;
        }

        Held = read;
        return true;
    }

    /// <summary>The page answering the held read once the log has entries after its clock; the read counts as answered from here on.</summary>
    public Fe.ReadAllocationEventLogResponse? TakeAnswer(AllocationEventLog log, string allocationId)
    {
        if (Held is not { } held || log.Page(allocationId, held.AfterClock, held.MaxEntries) is not { } page)
        {
            return null;
        }

        _lastAnswered = held.AfterClock;
        Held = null;
        return page;
    }
}

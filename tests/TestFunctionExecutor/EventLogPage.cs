using Executor.Protocol.FunctionExecutorV1;

namespace TestFunctionExecutor;

/// <summary>
/// 0.1.3: the real FE's (G2) check of an event-log page against the read it answers. The page
/// clock is last_clock if set, else the read's after_clock; it must be a safe integer, not move
/// backwards, and advance when has_more is set or entries are present. Each entry needs exactly one
/// recognised payload and a clock with previous &lt; clock &lt;= page clock (the first one after
/// after_clock), so clock 0 never passes.
/// </summary>
internal static class EventLogPage
{
    /// <summary>2^53 - 1: clocks must be exact in JavaScript too (the TypeScript FE shares the rules).</summary>
    public const ulong MaxSafeClock = (1UL << 53) - 1;

    /// <summary>Returns the page clock (the next read's after_clock) or throws <see cref="InvalidEventLogPageException"/>.</summary>
    public static ulong Validate(ReadAllocationEventLogResponse response, ulong afterClock)
    {
        var pageClock = response.HasLastClock ? response.LastClock : afterClock;
        if (pageClock > MaxSafeClock)
        {
            throw new InvalidEventLogPageException($"Allocation event log returned invalid clock {pageClock}");
        }

        if (pageClock < afterClock)
        {
            throw new InvalidEventLogPageException($"Allocation event log moved backwards from clock {afterClock} to {pageClock}");
        }

        if (response.HasMore && pageClock == afterClock)
        {
            throw new InvalidEventLogPageException($"Allocation event log reported more entries without advancing clock {afterClock}");
        }

        if (response.Entries.Count > 0 && pageClock == afterClock)
        {
            throw new InvalidEventLogPageException($"Allocation event log returned entries without advancing clock {afterClock}");
        }

        var previous = afterClock;
        for (var i = 0; i < response.Entries.Count; i++)
        {
            var entry = response.Entries[i];
            if (entry.EventCase == AllocationEvent.EventOneofCase.None)
            {
                throw new InvalidEventLogPageException($"Allocation event log entry {i} has no recognized payload");
            }

            if (!entry.HasClock)
            {
                throw new InvalidEventLogPageException($"Allocation event log entry {i} is missing its clock");
            }

            if (entry.Clock > MaxSafeClock || entry.Clock <= previous || entry.Clock > pageClock)
            {
                throw new InvalidEventLogPageException($"Allocation event log entry {i} has invalid clock {entry.Clock} after {previous} with page clock {pageClock}");
            }

            previous = entry.Clock;
        }

        return pageClock;
    }
}

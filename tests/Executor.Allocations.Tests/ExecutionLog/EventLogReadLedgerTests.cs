using Executor.Allocations.ExecutionLog;
using Xunit;
using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.Allocations.Tests.ExecutionLog;

/// <summary>
/// Issue 14: which FE read gets an answer. Reads are held until the log has something after them (an empty page would
/// only make the FE read again at once), and no read is ever answered twice: a second answer would be taken as the
/// answer to the FE's next read and fail the allocation.
/// </summary>
public sealed class EventLogReadLedgerTests
{
    [Fact]
    public void AReadIsHeldUntilTheLogHasEntriesAfterItsClock()
    {
        var log = new AllocationEventLog();
        var ledger = new EventLogReadLedger();
        Assert.True(ledger.Offer(Read(0)));
        Assert.Null(ledger.TakeAnswer(log, "alloc"));

        log.Append(Created("a"));
        var page = ledger.TakeAnswer(log, "alloc");
        Assert.NotNull(page);
        Assert.Equal(1UL, page.LastClock);
        Assert.Null(ledger.Held);
    }

    [Fact]
    public void ARepublishedReadThatWasAlreadyAnsweredIsNeverAnsweredAgain()
    {
        var log = new AllocationEventLog();
        var ledger = new EventLogReadLedger();
        log.Append(Created("a"));
        ledger.Offer(Read(0));
        Assert.NotNull(ledger.TakeAnswer(log, "alloc"));

        // A reopened stream brings the same read again, then the FE's next one.
        log.Append(Created("b"));
        Assert.False(ledger.Offer(Read(0)));
        Assert.Null(ledger.TakeAnswer(log, "alloc"));
        Assert.True(ledger.Offer(Read(1)));
        var next = ledger.TakeAnswer(log, "alloc");
        Assert.Equal(["b"], next!.Entries.Select(e => e.FunctionCallCreated.FunctionCallId));
        Assert.False(ledger.Offer(Read(1)));
    }

    [Fact]
    public void AnOlderReadDoesNotReplaceTheOneHeld()
    {
        var ledger = new EventLogReadLedger();
        Assert.True(ledger.Offer(Read(3)));
        Assert.False(ledger.Offer(Read(2)));
        Assert.Equal(3UL, ledger.Held!.AfterClock);

        // The same read again (a republish) just stays held.
        Assert.True(ledger.Offer(Read(3)));
        Assert.Equal(3UL, ledger.Held!.AfterClock);
    }

    [Fact]
    public void TheAnswerHonoursTheReadsPageSize()
    {
        var log = new AllocationEventLog();
        var ledger = new EventLogReadLedger();
        log.Append(Created("a"));
        log.Append(Created("b"));
        ledger.Offer(Read(0, maxEntries: 1));
        var page = ledger.TakeAnswer(log, "alloc")!;
        Assert.Single(page.Entries);
        Assert.True(page.HasMore);
    }

    private static Fe.ReadAllocationEventLogRequest Read(ulong afterClock, uint maxEntries = 100) =>
        new() { AllocationId = "alloc", AfterClock = afterClock, MaxEntries = maxEntries };

    private static Fe.AllocationEvent Created(string id) =>
        new() { FunctionCallCreated = new Fe.AllocationEventFunctionCallCreated { FunctionCallId = id, Status = new Google.Rpc.Status() } };
}

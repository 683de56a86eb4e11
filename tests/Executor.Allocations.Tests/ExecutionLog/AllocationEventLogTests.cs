using Executor.Allocations.ExecutionLog;
using Xunit;
using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.Allocations.Tests.ExecutionLog;

/// <summary>Issue 14: the per-allocation event log the FE pages through: clocks from 1, strictly increasing, pages within the read's limit.</summary>
public sealed class AllocationEventLogTests
{
    [Fact]
    public void ClocksStartAtOneAndGrowByOneWhateverTheEntryCarried()
    {
        var log = new AllocationEventLog();
        Assert.Equal(0UL, log.LastClock);
        Assert.Equal(1UL, log.Append(Created("a")));
        Assert.Equal(2UL, log.Append(new Fe.AllocationEvent { Clock = 99, FunctionCallCreated = new Fe.AllocationEventFunctionCallCreated { FunctionCallId = "b" } }));
        var page = log.Page("alloc", 0, 100)!;
        Assert.Equal([1UL, 2UL], page.Entries.Select(e => e.Clock));
    }

    [Fact]
    public void APageHoldsTheEntriesAfterTheReadClockWithinItsLimitAndSaysWhetherMoreRemain()
    {
        var log = new AllocationEventLog();
        foreach (var id in new[] { "a", "b", "c", "d" })
        {
            log.Append(Created(id));
        }

        var first = log.Page("alloc", 1, 2)!;
        Assert.Equal("alloc", first.AllocationId);
        Assert.Equal(["b", "c"], first.Entries.Select(e => e.FunctionCallCreated.FunctionCallId));
        Assert.Equal(3UL, first.LastClock);
        Assert.True(first.HasMore);

        var rest = log.Page("alloc", first.LastClock, 2)!;
        Assert.Equal(["d"], rest.Entries.Select(e => e.FunctionCallCreated.FunctionCallId));
        Assert.Equal(4UL, rest.LastClock);
        Assert.True(rest.HasLastClock && rest.HasHasMore);
        Assert.False(rest.HasMore);
    }

    [Fact]
    public void AReadWithoutALimitGetsTheDefaultPageSize()
    {
        var log = new AllocationEventLog();
        for (var i = 0; i < AllocationEventLog.DefaultPageSize + 5; i++)
        {
            log.Append(Created($"call-{i}"));
        }

        var page = log.Page("alloc", 0, 0)!;
        Assert.Equal((int)AllocationEventLog.DefaultPageSize, page.Entries.Count);
        Assert.True(page.HasMore);
    }

    [Fact]
    public async Task NothingAfterTheReadClockMeansNoPageUntilAnEntryIsAppended()
    {
        var log = new AllocationEventLog();
        Assert.Null(log.Page("alloc", 0, 100));
        var waiting = log.AppendedAfterAsync(0);
        Assert.False(waiting.IsCompleted);

        log.Append(Created("a"));
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Null(log.Page("alloc", 1, 100));
        Assert.True(log.AppendedAfterAsync(0).IsCompleted);
    }

    private static Fe.AllocationEvent Created(string id) =>
        new() { FunctionCallCreated = new Fe.AllocationEventFunctionCallCreated { FunctionCallId = id, Status = new Google.Rpc.Status() } };
}

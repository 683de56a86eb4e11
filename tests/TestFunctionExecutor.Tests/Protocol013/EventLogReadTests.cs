using Executor.Protocol.FunctionExecutorV1;
using TestFunctionExecutor.Tests.Infrastructure;

namespace TestFunctionExecutor.Tests.Protocol013;

public sealed class EventLogFunctionExecutor() : InitializedFunctionExecutor013(TestFunctions.CallAndWait);

/// <summary>watch_allocation_event_log_reads / send_allocation_event_log_read_response, driven by hand.</summary>
public sealed class EventLogReadTests(EventLogFunctionExecutor fixture) : IClassFixture<EventLogFunctionExecutor>
{
    private FunctionExecutor.FunctionExecutorClient Client => fixture.Client;

    public static TheoryData<string> InvalidPages =>
    [
        "clock zero", "entries without last_clock", "entry after the page clock", "entry without payload", "entry without clock",
        "clocks not increasing", "has_more without advancing", "clock beyond 2^53-1",
    ];

    [Fact]
    public async Task One_read_is_pending_from_the_start_republished_to_every_stream_and_the_next_follows_each_page()
    {
        var allocation = AllocationInputs.Json(fixture.Directory, "reads-basics", """{"payload":"x"}""");
        await using var raw = await RawAllocation013.CreateAsync(Client, fixture.Directory, allocation);

        using var first = raw.OpenReads();
        var read = await first.NextAsync();
        Assert.Equal((allocation.AllocationId, 0UL, 100u), (read.AllocationId, read.AfterClock, read.MaxEntries));

        // A stream that connects while the read is pending gets it at once.
        using var second = raw.OpenReads();
        Assert.Equal(read, await second.NextAsync());

        // An empty page is a valid answer: the FE reads the same position again, on every stream.
        await raw.SendAsync(new ReadAllocationEventLogResponse { LastClock = 0, HasMore = false });
        Assert.Equal(0UL, (await first.NextAsync()).AfterClock);
        Assert.Equal(0UL, (await second.NextAsync()).AfterClock);

        // A dropped stream loses nothing: a new one gets the pending read.
        first.Dispose();
        using var third = raw.OpenReads();
        Assert.Equal(0UL, (await third.NextAsync()).AfterClock);

        // Clocks need not be contiguous: the next read starts after the page clock.
        var durableId = Assert.Single(await raw.GetAsync()).CreateFunctionCall.Updates.RootFunctionCallId;
        await raw.AdvanceAsync();
        await raw.SendAsync(Page(7, Entry(5, new AllocationEvent { FunctionCallCreated = new AllocationEventFunctionCallCreated { FunctionCallId = durableId, Status = ExecutorEventLog.Ok } })));
        Assert.Equal(7UL, (await second.NextAsync()).AfterClock);
        Assert.Equal(7UL, (await third.NextAsync()).AfterClock);

        Assert.Equal(durableId, Assert.Single(await raw.GetAsync()).CreateFunctionCallWatcher.FunctionCallId);
        await raw.AdvanceAsync();
        var result = raw.ChildValue("reads-basics-child", "v");
        result.FunctionCallId = durableId;
        await raw.SendAsync(Page(9,
            Entry(8, new AllocationEvent { FunctionCallWatcherCreated = new AllocationEventFunctionCallWatcherCreated { FunctionCallId = durableId } }),
            Entry(9, new AllocationEvent { FunctionCallWatcherResult = result })));
        Assert.Equal(AllocationOutcomeCode.Success, (await raw.FinishAsync()).OutcomeCode);

        // The streams end when the allocation stops reading (the read after clock 9 may come first, then is abandoned);
        // one opened later ends at once.
        Assert.All(await second.RestAsync(), r => Assert.Equal(9UL, r.AfterClock));
        Assert.All(await third.RestAsync(), r => Assert.Equal(9UL, r.AfterClock));
        using var late = raw.OpenReads();
        Assert.True(await late.EndsAsync());

        // A page nobody asked for is ignored (OK) with a warning.
        await raw.SendAsync(Page(10, Entry(10, new AllocationEvent { FunctionCallCreated = new AllocationEventFunctionCallCreated { FunctionCallId = durableId } })));
        await fixture.Fe.WaitForOutputAsync($"allocation {allocation.AllocationId}: late or duplicate allocation event-log response ignored");
    }

    [Theory]
    [MemberData(nameof(InvalidPages))]
    public async Task An_invalid_page_fails_the_allocation_with_an_internal_error(string invalid)
    {
        var allocation = AllocationInputs.Json(fixture.Directory, "invalid-" + invalid.Replace(' ', '-').Replace('^', 'e'), "{}");
        await using var raw = await RawAllocation013.CreateAsync(Client, fixture.Directory, allocation);
        var durableId = Assert.Single(await raw.GetAsync()).CreateFunctionCall.Updates.RootFunctionCallId;
        using var reads = raw.OpenReads();
        Assert.Equal(0UL, (await reads.NextAsync()).AfterClock);

        await raw.SendAsync(InvalidPage(invalid, durableId));

        var finish = await raw.FinishAsync();
        Assert.Equal((AllocationOutcomeCode.Failure, AllocationFailureReason.InternalError), (finish.OutcomeCode, finish.FailureReason));
        await fixture.Fe.WaitForOutputAsync($"allocation {allocation.AllocationId}: error processing the event log page after clock 0");
    }

    [Fact]
    public async Task A_page_sent_twice_answers_the_next_read_and_fails_the_allocation()
    {
        var allocation = AllocationInputs.Json(fixture.Directory, "reads-duplicate", "{}");
        await using var raw = await RawAllocation013.CreateAsync(Client, fixture.Directory, allocation);
        var durableId = Assert.Single(await raw.GetAsync()).CreateFunctionCall.Updates.RootFunctionCallId;
        using var reads = raw.OpenReads();
        var read = await reads.NextAsync();
        raw.EventLog.Created(durableId);
        using var cts = new CancellationTokenSource(FunctionExecutorProcess.CallTimeout);
        var page = await raw.EventLog.PageAsync(read, cts.Token);

        await raw.SendAsync(page.Clone());
        Assert.Equal(1UL, (await reads.NextAsync()).AfterClock);
        await raw.SendAsync(page.Clone());

        var finish = await raw.FinishAsync();
        Assert.Equal((AllocationOutcomeCode.Failure, AllocationFailureReason.InternalError), (finish.OutcomeCode, finish.FailureReason));
    }

    private static ReadAllocationEventLogResponse InvalidPage(string invalid, string durableId)
    {
        AllocationEvent Created(ulong? clock)
        {
            var entry = new AllocationEvent { FunctionCallCreated = new AllocationEventFunctionCallCreated { FunctionCallId = durableId, Status = ExecutorEventLog.Ok } };
            if (clock is { } c)
            {
                entry.Clock = c;
            }

            return entry;
        }

        return invalid switch
        {
            "clock zero" => Page(1, Created(0)),
            "entries without last_clock" => new ReadAllocationEventLogResponse { Entries = { Created(1) } },
            "entry after the page clock" => Page(1, Created(2)),
            "entry without payload" => Page(1, new AllocationEvent { Clock = 1 }),
            "entry without clock" => Page(1, Created(null)),
            "clocks not increasing" => Page(2, Created(2), Created(2)),
            "has_more without advancing" => new ReadAllocationEventLogResponse { LastClock = 0, HasMore = true },
            "clock beyond 2^53-1" => Page(1UL << 53, Created(1UL << 53)),
            _ => throw new ArgumentOutOfRangeException(nameof(invalid), invalid, null),
        };
    }

    private static AllocationEvent Entry(ulong clock, AllocationEvent entry)
    {
        entry.Clock = clock;
        return entry;
    }

    private static ReadAllocationEventLogResponse Page(ulong lastClock, params AllocationEvent[] entries)
    {
        var page = new ReadAllocationEventLogResponse { LastClock = lastClock, HasMore = false };
        page.Entries.AddRange(entries);
        return page;
    }
}

using Executor.Protocol.ServerV1;
using Executor.TestHost;
using FakeIndexifyServer;
using TestFunctionExecutor;
using Xunit;

namespace Executor.Tests.Server;

/// <summary>
/// Server protocol v1: every snapshot is applied whatever its clock; a stale snapshot never re-runs a finished allocation.
/// </summary>
public sealed class ClockAndSnapshotTests
{
    [Fact]
    public async Task RepeatedAndDecreasingClocksStillApplyNewContent()
    {
        await using var scenario = await ExecutorScenario.StartAsync(protocols: ProtocolCombination.V1Fe012);
        var server = scenario.Server;
        var fe = scenario.AddFunctionExecutor(TestFunctions.Echo);
        var first = scenario.AddAllocation(fe);
        await server.WaitForResultAsync(first.AllocationId, TimeSpan.FromSeconds(60));

        // A wiped Server starts counting from 0 again; same-clock snapshots carry new work (the fake repeats clocks by default).
        server.ResetClock(0);
        var second = scenario.AddAllocation(fe);
        var third = scenario.AddAllocation(fe);
        Assert.Equal(AllocationOutcomeCode.Success, (await server.WaitForResultAsync(second.AllocationId, TimeSpan.FromSeconds(60))).OutcomeCode);
        Assert.Equal(AllocationOutcomeCode.Success, (await server.WaitForResultAsync(third.AllocationId, TimeSpan.FromSeconds(60))).OutcomeCode);

        var lastClock = await server.WaitForReportAsync(r => r.Succeeded && r.ServerClock is not null, TimeSpan.FromSeconds(30), afterSequence: server.LastSequence - 1);
        Assert.True(lastClock.ServerClock < 100, "the executor echoes the Server's (reset) clock rather than the highest it saw");
    }

    [Fact]
    public async Task StaleSnapshotListingAFinishedAllocationDoesNotRunItAgain()
    {
        await using var scenario = await ExecutorScenario.StartAsync(protocols: ProtocolCombination.V1Fe012);
        var server = scenario.Server;
        var fe = scenario.AddFunctionExecutor(TestFunctions.Echo);
        var allocation = scenario.AddAllocation(fe);
        var staleSnapshot = server.GetDesiredState(scenario.ExecutorId)!.Clone();
        Assert.Contains(staleSnapshot.Allocations, a => a.AllocationId == allocation.AllocationId);
        await server.WaitForResultAsync(allocation.AllocationId, TimeSpan.FromSeconds(60));

        // The Server computed this snapshot before the result arrived; it arrives late. Then a fresh allocation proves the executor applied it.
        server.PushRawSnapshot(scenario.ExecutorId, staleSnapshot);
        var after = scenario.AddAllocation(fe);
        await server.WaitForResultAsync(after.AllocationId, TimeSpan.FromSeconds(60));
        await server.WaitForReportAsync(r => r.Succeeded, TimeSpan.FromSeconds(30), afterSequence: server.LastSequence);

        var stats = server.GetReportStats(allocation.AllocationId);
        Assert.Equal(1, stats.TimesReported);
        Assert.Equal(0, stats.DuplicateCount);
    }
}

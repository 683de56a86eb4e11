using Executor.Protocol.ServerV1;
using Executor.ReliabilityTests.Infrastructure;
using Executor.TestHost;
using Executor.Testing;
using TestFunctionExecutor;

namespace Executor.ReliabilityTests;

/// <summary>The Server disappears for a long time, or comes back with no memory of the executor.</summary>
public abstract class ServerLossTests<TProtocols>
    where TProtocols : IProtocols
{
    private static readonly Dictionary<string, string> FastReports = new() { ["EXECUTOR__ReportInterval"] = "00:00:01" };

    [Fact]
    public async Task ResultsOfAllocationsFinishedDuringATwentySecondOutageAreEachDeliveredExactlyOnce()
    {
        // Default report settings and the Server's real 30 s liveness window: while the Server refuses connections the
        // executor retries every second, so its first report after a 20 s outage lands before it would be deregistered.
        await using var scenario = await ExecutorScenario.StartAsync(protocols: TProtocols.Combination);
        var server = scenario.Server;
        Assert.Equal(TimeSpan.FromSeconds(30), server.LivenessTimeout);
        var executorId = scenario.ExecutorId;

        // All 8 run at once for 6 s, so the outage (begun as soon as they are all received) covers every finish.
        var fe = scenario.AddFunctionExecutor(TestFunctions.SleepFor(6000), maxConcurrency: 8);
        await server.WaitForStatusAsync(fe.Id, FunctionExecutorStatus.Running);
        var allocations = Enumerable.Range(0, 8).Select(_ => scenario.AddAllocation(fe)).ToList();
        await Eventually.TrueAsync(
            async () => { var body = (await scenario.Executor.GetAsync("/state/desired")).Body; return allocations.All(a => body.Contains(a.AllocationId, StringComparison.Ordinal)); },
            Host.Patience,
            "all allocations received before the outage");
        Assert.All(allocations, a => Assert.Null(server.GetAcceptedResult(a.AllocationId)));

        await server.StopListeningAsync();
        var outage = Task.Delay(TimeSpan.FromSeconds(20));
        await Eventually.TrueAsync(async () => (await scenario.Executor.GetAsync("/monitoring/health")).Status == 503, TimeSpan.FromSeconds(19), "health 503 during the outage");
        await outage;
        Assert.All(allocations, a => Assert.Null(server.GetAcceptedResult(a.AllocationId)));
        Assert.False(scenario.Executor.HasExited);

        await server.StartListeningAsync();
        var returned = DateTimeOffset.UtcNow;
        var firstAfter = await server.WaitForReportAsync(r => r.Succeeded, Host.Patience, afterSequence: server.LastSequence);
        Console.WriteLine($"[reliability] first accepted report {(firstAfter.ReceivedAt - returned).TotalMilliseconds:0} ms after the Server returned");
        foreach (var allocation in allocations)
        {
            var result = await server.WaitForResultAsync(allocation.AllocationId, Host.Patience);
            Assert.Equal(AllocationOutcomeCode.Success, result.OutcomeCode);
        }

        // Never deregistered: still the same executor, never tombstoned, so nothing was rescheduled elsewhere.
        Assert.DoesNotContain(server.Deregistrations, d => d.ExecutorId == executorId);

        // A few more reports after the last acceptance: nothing is sent again.
        var last = server.LastSequence;
        await server.WaitForReportAsync(r => r.Succeeded, Host.Patience, afterSequence: last);
        var more = await server.WaitForReportAsync(r => r.Succeeded, Host.Patience, afterSequence: server.LastSequence);
        _ = more;
        foreach (var allocation in allocations)
        {
            var stats = server.GetReportStats(allocation.AllocationId);
            Assert.True(stats.Accepted);
            Assert.Equal(0, stats.DuplicateCount);
            Assert.Equal(1, stats.TimesReported - stats.TimesInRejectedReports);
        }

        await Eventually.TrueAsync(async () => (await scenario.Executor.GetAsync("/monitoring/health")).Status == 200, Host.Patience, "health back to 200");
    }

    [Fact]
    public async Task AfterAnEmptyRestartAdoptedFunctionExecutorsKeepTheirProcessAndInFlightResultsAreDeliveredOnce()
    {
        await using var scenario = await ExecutorScenario.StartAsync(environment: FastReports, protocols: TProtocols.Combination);
        var server = scenario.Server;
        server.AdoptUntrackedFunctionExecutors = true;
        var fe = scenario.AddFunctionExecutor(TestFunctions.SleepFor(3000), maxConcurrency: 2);
        await server.WaitForStatusAsync(fe.Id, FunctionExecutorStatus.Running);
        var pid = Assert.Single(Host.FunctionExecutorPidsOf(fe.Id));
        var done = scenario.AddAllocation(fe);
        await server.WaitForResultAsync(done.AllocationId, Host.Patience);
        var inFlight = scenario.AddAllocation(fe);
        await Eventually.TrueAsync(async () => (await scenario.Executor.GetAsync("/state/desired")).Body.Contains(inFlight.AllocationId, StringComparison.Ordinal), Host.Patience, "in-flight allocation received");
        var before = server.LastSequence;

        await server.SimulateRestartAsync();

        await server.WaitForReportAsync(r => r.Succeeded && r.WasStateChange && r.ExecutorId == scenario.ExecutorId, Host.Patience, afterSequence: before);
        await server.WaitUntilAsync(s => s.AdoptedFunctionExecutorIds.Contains(fe.Id), Host.Patience, "the FE was adopted");
        var inFlightResult = await server.WaitForResultAsync(inFlight.AllocationId, Host.Patience);
        Assert.Equal(AllocationOutcomeCode.Success, inFlightResult.OutcomeCode);

        var after = scenario.AddAllocation(fe);
        Assert.Equal(AllocationOutcomeCode.Success, (await server.WaitForResultAsync(after.AllocationId, Host.Patience)).OutcomeCode);

        // Same process throughout (adopted, not restarted), and nothing ran or was reported twice.
        Assert.Equal([pid], Host.FunctionExecutorPidsOf(fe.Id));
        foreach (var id in new[] { done.AllocationId, inFlight.AllocationId, after.AllocationId })
        {
            var stats = server.GetReportStats(id);
            Assert.Equal(0, stats.DuplicateCount);
            Assert.Equal(1, stats.TimesReported - stats.TimesInRejectedReports);
        }
    }

    [Fact]
    public async Task AfterAnEmptyRestartThatDoesNotAdoptTheFunctionExecutorsTheExecutorStopsThemAndLeavesNothingBehind()
    {
        await using var scenario = await ExecutorScenario.StartAsync(environment: FastReports, protocols: TProtocols.Combination);
        var server = scenario.Server;
        var fes = new[]
        {
            scenario.AddFunctionExecutor(TestFunctions.Echo, application: "dropped-a"),
            scenario.AddFunctionExecutor(TestFunctions.Echo, application: "dropped-b"),
        };
        var done = new List<Allocation>();
        foreach (var fe in fes)
        {
            var allocation = scenario.AddAllocation(fe);
            await server.WaitForResultAsync(allocation.AllocationId, Host.Patience);
            done.Add(allocation);
        }

        await Eventually.TrueAsync(() => Host.FunctionExecutorPids(scenario.ExecutorId).Count == 2, Host.Patience, "both FE processes running");
        server.AdoptUntrackedFunctionExecutors = false;
        var before = server.LastSequence;

        await server.SimulateRestartAsync();

        await server.WaitForReportAsync(r => r.Succeeded && r.ExecutorId == scenario.ExecutorId, Host.Patience, afterSequence: before);
        Assert.True(server.GetExecutor(scenario.ExecutorId)!.IsRegistered);
        await Host.AssertNoFunctionExecutorLeftoversAsync(scenario.ExecutorId, scenario.Executor.CachePath);
        await server.WaitForReportAsync(
            r => r.Succeeded && !r.FunctionExecutorStates.Any(s => fes.Any(fe => fe.Id == s.Description.Id) && s.Status == FunctionExecutorStatus.Running),
            Host.Patience,
            afterSequence: server.LastSequence);
        Assert.Empty(server.AdoptedFunctionExecutorIds);

        // Old results are not sent again; new work on a freshly placed FE runs.
        foreach (var allocation in done)
        {
            var stats = server.GetReportStats(allocation.AllocationId);
            Assert.Equal(0, stats.DuplicateCount);
            Assert.Equal(1, stats.TimesReported - stats.TimesInRejectedReports);
        }

        var fresh = scenario.AddFunctionExecutor(TestFunctions.Echo, application: "fresh");
        var allocationAfter = scenario.AddAllocation(fresh);
        Assert.Equal(AllocationOutcomeCode.Success, (await server.WaitForResultAsync(allocationAfter.AllocationId, Host.Patience)).OutcomeCode);
        Assert.Single(Host.FunctionExecutorPids(scenario.ExecutorId));
    }
}

/// <summary><see cref="ServerLossTests{TProtocols}"/> on the diagonal: v1 with FE 0.1.2, v2 with FE 0.1.3.</summary>
public static class ServerLossTests
{
    public sealed class V1Fe012 : ServerLossTests<Protocols.V1Fe012>;

    public sealed class V2Fe013 : ServerLossTests<Protocols.V2Fe013>;
}

using Executor.Configuration;
using Executor.Grains.Tests.Infrastructure;
using Executor.Model;
using Executor.Server;
using Executor.Testing;
using TestFunctionExecutor;
using Xunit.Abstractions;

namespace Executor.Grains.Tests;

/// <summary>
/// When the ExecutorGrain reports: at once on a change (coalesced while a report is in flight), periodically otherwise,
/// backing off after failures. Timing is checked on the executor's clock, which only the test moves.
/// </summary>
public sealed class ReportingTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(1);

    [Fact]
    public async Task TheFirstReportRegistersAsRunningWithTheExecutorsIdentityAndTheHostsResources()
    {
        await using var executor = await ExecutorCluster.StartAsync(output);

        var first = executor.Server.Attempts[0];
        Assert.True(first.Accepted);
        var report = first.Report;
        Assert.Equal(ExecutorStatus.Running, report.Status);
        Assert.Equal(ExecutorCluster.ExecutorId, report.ExecutorId);
        Assert.Equal("grain-test-host", report.Hostname);
        Assert.Equal(ExecutorIdentity.Version, report.Version);
        Assert.Equal(new HostCapacity(8, 16 * FixedHostResources.GiB, 100 * FixedHostResources.GiB, null), report.TotalResources);
        Assert.Equal(report.TotalResources, report.TotalFunctionExecutorResources);
        Assert.Empty(report.FunctionExecutors);
        Assert.Empty(report.Results);
        Assert.True((await executor.Executor.GetStatusAsync()).Registered);
    }

    [Fact]
    public async Task AChangeIsReportedAtOnceAndAnUnchangedExecutorOnlyEveryReportInterval()
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var fe = executor.NewFunctionExecutor(TestFunctions.Echo);

        // The executor's clock stands still: only the change itself can cause these reports.
        await executor.ApplyAsync(executor.Snapshot([fe]));
        await executor.WaitForStateAsync(fe.Id, FunctionExecutorStatus.Pending);
        await executor.WaitForRunningAsync(fe);

        await AssertNextReportAfterAsync(executor, TimeSpan.FromSeconds(5));
        await AssertNextReportAfterAsync(executor, TimeSpan.FromSeconds(5));
        Assert.All(executor.Server.Attempts, a => Assert.True(a.Accepted));
    }

    [Fact]
    public async Task ResultsFinishingWhileAReportIsInFlightGoOutInOneFollowUpReport()
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var fe = executor.NewFunctionExecutor(TestFunctions.Echo, maxConcurrency: 8);
        await executor.ApplyAsync(executor.Snapshot([fe]));
        await executor.WaitForRunningAsync(fe);
        var before = executor.Server.Attempts.Count;

        // The first result starts a report the Server holds; the other seven finish meanwhile.
        executor.Server.HoldReports();
        var allocations = Enumerable.Range(0, 8).Select(_ => executor.NewAllocation(fe)).ToList();
        await executor.ApplyAsync(executor.Snapshot([fe], allocations));
        await Eventually.TrueAsync(async () => (await executor.Executor.GetStatusAsync()).PendingResults == 8, because: "all eight results wait");
        Assert.Equal(before + 1, executor.Server.Attempts.Count);

        executor.Server.ReleaseReports();
        await Eventually.TrueAsync(async () => (await executor.Executor.GetStatusAsync()).PendingResults == 0, because: "every result is delivered");

        // One report in flight and one follow-up for everything that happened meanwhile, not one report per result.
        var attempts = executor.Server.Attempts.Skip(before).ToList();
        Assert.Equal(2, attempts.Count);
        Assert.Equal(8, attempts.Sum(a => a.Report.Results.Count));
        Assert.All(allocations, a => Assert.Single(executor.DeliveredResultsOf(a.AllocationId)));
    }

    [Fact]
    public async Task FailedReportsBackOffTimesThreeUpToTheCapAndTheNormalIntervalResumesAfterASuccess()
    {
        await using var executor = await ExecutorCluster.StartAsync(output, o =>
        {
            o.Settings["Executor:ReportInterval"] = "00:00:01";
            o.Settings["Executor:MaxReportBackoff"] = "00:00:10";
        });
        executor.Server.FailNextReports(3, () => new ServerRpcException("RESOURCE_EXHAUSTED: scripted"));
        await executor.Executor.RequestReportAsync();
        await Eventually.TrueAsync(() => executor.Server.Attempts.Count(a => !a.Accepted) == 1, because: "the first report fails");

        await AssertNextReportAfterAsync(executor, TimeSpan.FromSeconds(3));
        await AssertNextReportAfterAsync(executor, TimeSpan.FromSeconds(9));
        await AssertNextReportAfterAsync(executor, TimeSpan.FromSeconds(10));
        Assert.True(executor.Server.Attempts[^1].Accepted);
        await AssertNextReportAfterAsync(executor, TimeSpan.FromSeconds(1));
        Assert.Equal(3, executor.Server.Attempts.Count(a => !a.Accepted));
        Assert.True(executor.Server.ChannelRecycles >= 3);
    }

    [Fact]
    public async Task AnUnreachableServerIsProbedEveryReconnectIntervalAndTheReportIntervalResumesOnceItAnswers()
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        executor.Server.FailNextReports(3, () => new ServerUnreachableException("connection refused"));
        await executor.Executor.RequestReportAsync();
        await Eventually.TrueAsync(() => executor.Server.Attempts.Count(a => !a.Accepted) == 1, because: "the first report fails");

        await AssertNextReportAfterAsync(executor, TimeSpan.FromSeconds(1));
        await AssertNextReportAfterAsync(executor, TimeSpan.FromSeconds(1));
        await AssertNextReportAfterAsync(executor, TimeSpan.FromSeconds(1));
        Assert.True(executor.Server.Attempts[^1].Accepted);
        await AssertNextReportAfterAsync(executor, TimeSpan.FromSeconds(5));
    }

    /// <summary>No report until <paramref name="interval"/> has passed on the executor's clock, then exactly one.</summary>
    private static async Task AssertNextReportAfterAsync(ExecutorCluster executor, TimeSpan interval)
    {
        await executor.Executor.GetStatusAsync();
        var before = executor.Server.Attempts.Count;
        await executor.AdvanceAsync(interval - Tick);
        Assert.Equal(before, executor.Server.Attempts.Count);
        await executor.AdvanceAsync(Tick);
        await Eventually.TrueAsync(() => executor.Server.Attempts.Count == before + 1, because: $"a report {interval} after the last one");
        Assert.Equal(before + 1, executor.Server.Attempts.Count);
    }
}

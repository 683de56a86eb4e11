using Executor.Protocol.ServerV1;
using Executor.ReliabilityTests.Infrastructure;
using Executor.TestHost;
using Executor.Testing;
using Grpc.Core;
using TestFunctionExecutor;

namespace Executor.ReliabilityTests;

/// <summary>
/// The Server answers reports (v2: heartbeats) with errors or too late, or ends the desired-state stream (v2: the held
/// command poll) under the executor.
/// </summary>
public abstract class ServerMisbehaviourTests<TProtocols>
    where TProtocols : IProtocols
{
    private static readonly Dictionary<string, string> FastReports = new() { ["EXECUTOR__ReportInterval"] = "00:00:01" };

    [Fact]
    public async Task ReportsFailedWithEachErrorCodeOrDelayedPastTheDeadlineStillDeliverEveryResultOnce()
    {
        await using var scenario = await ExecutorScenario.StartAsync(environment: FastReports, protocols: TProtocols.Combination);
        var server = scenario.Server;
        var fe = scenario.AddFunctionExecutor(TestFunctions.SleepFor(500), maxConcurrency: 2);
        await server.WaitForStatusAsync(fe.Id, FunctionExecutorStatus.Running);
        var delivered = new List<string>();

        // One fault at a time (each failure multiplies the report interval by 3; a success resets it). The fault hits a
        // periodic report while nothing changes, so the next report (and health 200) only comes with the backoff or with
        // the allocation added afterwards: the 503 window is seconds long, not a race with a result-triggered report.
        var faults = new (string Name, Action Inject, Func<FakeIndexifyServer.ReceivedReport, bool> IsFault)[]
        {
            ("UNAVAILABLE", () => server.FailNextReports(1, StatusCode.Unavailable), r => r.ReplyStatus == StatusCode.Unavailable),
            ("INTERNAL", () => server.FailNextReports(1, StatusCode.Internal), r => r.ReplyStatus == StatusCode.Internal),
            ("DEADLINE_EXCEEDED", () => server.FailNextReports(1, StatusCode.DeadlineExceeded), r => r.ReplyStatus == StatusCode.DeadlineExceeded),
            ("delayed 7 s (deadline 5 s)", () => server.DelayNextReports(1, TimeSpan.FromSeconds(7)), r => r.ReplyStatus == StatusCode.Cancelled),
        };
        foreach (var (name, inject, isFault) in faults)
        {
            var before = server.LastSequence;
            var errorsBefore = await ReportErrorsAsync(scenario);
            inject();
            var failed = await server.WaitForReportAsync(r => r.ExecutorId == scenario.ExecutorId && !r.Succeeded, Host.Patience, afterSequence: before);
            Assert.True(isFault(failed), $"{name}: the faulted report ended with {failed.ReplyStatus}");

            // The executor itself saw the failure (its own counter; health is 503 only until the next report, a window a
            // loaded machine's polling can miss, and the health answers are covered by the outage and endpoint tests).
            await Eventually.TrueAsync(async () => await ReportErrorsAsync(scenario) > errorsBefore, Host.Patience, $"{name}: the executor counted the failed report");
            var allocation = scenario.AddAllocation(fe);
            var result = await server.WaitForResultAsync(allocation.AllocationId, Host.Patience);
            Assert.True(result.OutcomeCode == AllocationOutcomeCode.Success, $"{name}: {result.OutcomeCode}/{result.FailureReason}\n{string.Join('\n', scenario.Executor.Output.Split('\n').Where(l => l.Contains(" fail:", StringComparison.Ordinal) || l.Contains(" warn:", StringComparison.Ordinal)).TakeLast(10))}");
            await Eventually.TrueAsync(async () => (await scenario.Executor.GetAsync("/monitoring/health")).Status == 200, Host.Patience, $"{name}: health back to 200");
            delivered.Add(allocation.AllocationId);
        }

        await server.WaitForReportAsync(r => r.Succeeded, Host.Patience, afterSequence: server.LastSequence);
        foreach (var id in delivered)
        {
            var stats = server.GetReportStats(id);
            Assert.True(stats.Accepted);
            Assert.Equal(0, stats.DuplicateCount);
        }

        Assert.Equal(4, delivered.Count);
    }

    private static async Task<double> ReportErrorsAsync(ExecutorScenario scenario) =>
        Host.MetricSum((await scenario.Executor.GetAsync("/monitoring/metrics")).Body, "state_report_rpc_errors_total");

    [Fact]
    public async Task StreamsAbortedOrEndedMidWayReopenAndWorkContinuesWithoutLoss()
    {
        await using var scenario = await ExecutorScenario.StartAsync(environment: FastReports, protocols: TProtocols.Combination);
        var server = scenario.Server;
        var fe = scenario.AddFunctionExecutor(TestFunctions.SleepFor(1000), maxConcurrency: 4);
        await server.WaitForStatusAsync(fe.Id, FunctionExecutorStatus.Running);
        var all = new List<Allocation>();
        var breaks = new (string Name, Action Break)[]
        {
            ("abort", () => server.AbortStreams(scenario.ExecutorId)),
            ("end OK", () => server.EndStreams(scenario.ExecutorId, StatusCode.OK)),
            ("end UNAVAILABLE", () => server.EndStreams(scenario.ExecutorId, StatusCode.Unavailable)),
            ("end INTERNAL", () => server.EndStreams(scenario.ExecutorId, StatusCode.Internal)),
        };
        foreach (var (name, breakStream) in breaks)
        {
            var inFlight = Enumerable.Range(0, 2).Select(_ => scenario.AddAllocation(fe)).ToList();
            all.AddRange(inFlight);
            await Eventually.TrueAsync(
                async () => { var body = (await scenario.Executor.GetAsync("/state/desired")).Body; return inFlight.All(a => body.Contains(a.AllocationId, StringComparison.Ordinal)); },
                Host.Patience,
                $"{name}: allocations received");
            var reads = scenario.DesiredStateReads;
            breakStream();
            await scenario.WaitForDesiredStateReadAsync(reads, Host.Patience);

            // Work placed after the reopen arrives through the new stream.
            var afterwards = scenario.AddAllocation(fe);
            all.Add(afterwards);
            foreach (var allocation in inFlight.Append(afterwards))
            {
                Assert.Equal(AllocationOutcomeCode.Success, (await server.WaitForResultAsync(allocation.AllocationId, Host.Patience)).OutcomeCode);
            }
        }

        Assert.Equal(12, all.Count);
        Assert.All(all, a => Assert.Equal(0, server.GetReportStats(a.AllocationId).DuplicateCount));
        Assert.Equal(200, (await scenario.Executor.GetAsync("/monitoring/startup")).Status);
    }
}

/// <summary><see cref="ServerMisbehaviourTests{TProtocols}"/> on the diagonal: v1 with FE 0.1.2, v2 with FE 0.1.3.</summary>
public static class ServerMisbehaviourTests
{
    public sealed class V1Fe012 : ServerMisbehaviourTests<Protocols.V1Fe012>;

    public sealed class V2Fe013 : ServerMisbehaviourTests<Protocols.V2Fe013>;
}

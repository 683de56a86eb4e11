using System.Globalization;
using Executor.Protocol.ServerV1;
using Executor.ReliabilityTests.Infrastructure;
using Executor.TestHost;
using Executor.Testing;
using TestFunctionExecutor;

namespace Executor.ReliabilityTests;

/// <summary>Thousands of allocations through 8 FEs: every result exactly once, and the executor returns to its resting size.</summary>
public abstract class LoadTests<TProtocols>
    where TProtocols : IProtocols
{
    /// <summary>How many allocations run (after the warm-up); RELIABILITY_LOAD_ALLOCATIONS overrides it (e.g. for a quick local run).</summary>
    protected abstract int DefaultAllocations { get; }
    private const int FunctionExecutors = 8;
    private const int Window = 96;

    [Fact]
    public async Task ManyAllocationsThroughEightFunctionExecutorsAreEachReportedOnceAndResourcesReturnToBaseline()
    {
        var total = int.TryParse(Environment.GetEnvironmentVariable("RELIABILITY_LOAD_ALLOCATIONS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : DefaultAllocations;
        await using var scenario = await ExecutorScenario.StartAsync(protocols: TProtocols.Combination, environment: new Dictionary<string, string>
        {
            ["EXECUTOR__ReportInterval"] = "00:00:01",
            ["EXECUTOR__FinishedAllocationRetention"] = "00:00:05",
            // Busy FEs on 2 shared cores can miss a 1 s health check; keep the production timeout here.
            ["EXECUTOR__HealthCheckTimeout"] = "00:00:05",
            ["EXECUTOR__HealthCheckInterval"] = "00:00:05",
        });
        var server = scenario.Server;
        try
        {
            await RunLoadAsync(scenario, total);
        }
        finally
        {
            // A failed run must not leave FEs behind (the scenario's SIGTERM may time out with many FEs busy).
            await scenario.Executor.StopAsync(TimeSpan.FromSeconds(60)).ContinueWith(_ => { }, TaskScheduler.Default);
            Host.KillFunctionExecutorsOf(scenario.ExecutorId);
        }
    }

    private static async Task RunLoadAsync(ExecutorScenario scenario, int total)
    {
        var server = scenario.Server;
        var fes = Enumerable.Range(0, FunctionExecutors).Select(i => scenario.AddFunctionExecutor(TestFunctions.Echo, maxConcurrency: 4, application: "load-" + i)).ToList();
        foreach (var fe in fes)
        {
            try
            {
                await server.WaitForStatusAsync(fe.Id, FunctionExecutorStatus.Running);
            }
            catch (TimeoutException ex)
            {
                var log = string.Join('\n', scenario.Executor.Output.Split('\n').Where(l => l.Contains(fe.Id, StringComparison.Ordinal)).TakeLast(20));
                throw new TimeoutException($"FE {fe.Id} never reported RUNNING: last state {server.LastStateOf(fe.Id)?.Status}/{server.LastStateOf(fe.Id)?.TerminationReason}; executor log:\n{log}", ex);
            }
        }

        var pid = scenario.Executor.ProcessId;

        // Warm-up (JIT, pools, caches), then a quiet period, then the baseline.
        var warmUp = await RunAsync(scenario, fes, 400);
        await QuietAsync(scenario);
        var baseline = Host.Usage(pid);

        var started = DateTimeOffset.UtcNow;
        var allocations = await RunAsync(scenario, fes, total);
        var elapsed = DateTimeOffset.UtcNow - started;

        // Exactly once: every allocation accepted with SUCCESS, no duplicates, and no result the Server did not expect.
        foreach (var id in allocations.Concat(warmUp))
        {
            var stats = server.GetReportStats(id);
            Assert.True(stats.Accepted && stats.AcceptedResult!.OutcomeCode == AllocationOutcomeCode.Success, $"{id}: {stats}");
            Assert.Equal(0, stats.DuplicateCount);
        }

        Assert.DoesNotContain(server.Reports, r => r.UnknownAllocationIds.Count > 0);

        // Back to rest: RSS within 20 % of the baseline (GC runs on its own schedule; give it time), threads and fds flat.
        await QuietAsync(scenario);
        (long RssKib, int Threads, int FileDescriptors) after = default;
        await Eventually.TrueAsync(
            () =>
            {
                after = Host.Usage(pid);
                return after.RssKib <= baseline.RssKib * 1.2 && after.Threads <= baseline.Threads + 12 && after.FileDescriptors <= baseline.FileDescriptors + 16;
            },
            TimeSpan.FromSeconds(90),
            $"executor back to its resting size (baseline {baseline})");
        Console.WriteLine(
            $"[reliability] load: {total} allocations through {FunctionExecutors} FEs in {elapsed.TotalSeconds:0.0} s ({total / elapsed.TotalSeconds:0} /s), " +
            $"RSS {baseline.RssKib / 1024} -> {after.RssKib / 1024} MiB, threads {baseline.Threads} -> {after.Threads}, fds {baseline.FileDescriptors} -> {after.FileDescriptors}, results lost 0, duplicates 0");
        Assert.Equal(FunctionExecutors, Host.FunctionExecutorPids(scenario.ExecutorId).Count);
    }

    /// <summary>Keeps at most <see cref="Window"/> allocations outstanding (the Server's desired state stays small) until all are accepted.</summary>
    private static async Task<List<string>> RunAsync(ExecutorScenario scenario, IReadOnlyList<FunctionExecutorDescription> fes, int count)
    {
        var server = scenario.Server;
        var ids = new List<string>(count);
        var pending = new HashSet<string>(StringComparer.Ordinal);
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromMinutes(8);
        while (ids.Count < count || pending.Count > 0)
        {
            while (ids.Count < count && pending.Count < Window)
            {
                var fe = fes[ids.Count % fes.Count];
                Allocation allocation;
                try
                {
                    allocation = scenario.AddAllocation(fe, "\"load " + ids.Count.ToString(CultureInfo.InvariantCulture) + "\"");
                }
                catch (InvalidOperationException ex)
                {
                    var why = string.Join('\n', scenario.Executor.Output.Split('\n').Where(l => (l.Contains(fe.Id, StringComparison.Ordinal) || l.Contains("fail", StringComparison.OrdinalIgnoreCase) || l.Contains("exception", StringComparison.OrdinalIgnoreCase)) && !l.Contains("dbug", StringComparison.Ordinal)).TakeLast(30));
                    throw new InvalidOperationException($"FE {fe.Id} is gone after {ids.Count} allocations; status {server.LastStateOf(fe.Id)?.Status}/{server.LastStateOf(fe.Id)?.TerminationReason}; executor log:\n{why}", ex);
                }

                ids.Add(allocation.AllocationId);
                pending.Add(allocation.AllocationId);
            }

            var target = Math.Max(0, pending.Count - (Window / 2));
            var accepted = await server.WaitForAsync(
                s => { var done = pending.Where(id => s.GetAcceptedResult(id) is not null).ToList(); return pending.Count - done.Count <= target ? done : null; },
                deadline - DateTimeOffset.UtcNow,
                $"results for {ids.Count} allocations");
            pending.ExceptWith(accepted);
        }

        return ids;
    }

    private static async Task QuietAsync(ExecutorScenario scenario)
    {
        // Past the finished-allocation retention (5 s), with reports flowing (1 s).
        var server = scenario.Server;
        var until = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(8);
        while (DateTimeOffset.UtcNow < until)
        {
            await server.WaitForReportAsync(r => r.Succeeded, Host.Patience, afterSequence: server.LastSequence);
        }
    }
}

/// <summary>
/// <see cref="LoadTests{TProtocols}"/> on the diagonal. The 20,000 allocations run once, on v1 with FE 0.1.2
/// (about 80 s on 2 shared cores); v2 with FE 0.1.3 runs the same checks on 2,000: the extra signal of the new protocols
/// under load (exactly-once through heartbeats, outboxes and the execution log, resources back to rest) shows at that
/// size, and ten times as many would cost CI over a minute more without finding more.
/// </summary>
public static class LoadTests
{
    public sealed class V1Fe012 : LoadTests<Protocols.V1Fe012>
    {
        protected override int DefaultAllocations => 20_000;
    }

    public sealed class V2Fe013 : LoadTests<Protocols.V2Fe013>
    {
        protected override int DefaultAllocations => 2_000;
    }
}

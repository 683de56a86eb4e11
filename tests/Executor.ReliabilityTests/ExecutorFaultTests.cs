using System.Text;
using Executor.Protocol.ServerV1;
using Executor.ReliabilityTests.Infrastructure;
using Executor.TestHost;
using Executor.Testing;
using TestFunctionExecutor;

namespace Executor.ReliabilityTests;

/// <summary>The executor itself dies (SIGKILL) or is stopped (SIGTERM) while allocations run.</summary>
public abstract class ExecutorFaultTests<TProtocols>
    where TProtocols : IProtocols
{
    [Fact]
    public async Task SigkillUnderLoadThenRestartOnTheSameCacheReapsOrphansRefetchesCorruptCodeAndRegistersAsANewExecutor()
    {
        await using var scenario = await ExecutorScenario.StartAsync(protocols: TProtocols.Combination);
        var server = scenario.Server;
        var cache = scenario.Executor.CachePath;
        var oldId = scenario.ExecutorId;
        ExecutorProcess? restarted = null;
        string? newId = null;
        try
        {
            var fes = new[]
            {
                scenario.AddFunctionExecutor(TestFunctions.SleepFor(30_000), maxConcurrency: 4, application: "kill-a"),
                scenario.AddFunctionExecutor(TestFunctions.SleepFor(30_000), maxConcurrency: 4, application: "kill-b"),
            };
            var inFlight = fes.SelectMany(fe => Enumerable.Range(0, 4).Select(_ => scenario.AddAllocation(fe))).ToList();
            foreach (var fe in fes)
            {
                await server.WaitForStatusAsync(fe.Id, FunctionExecutorStatus.Running);
            }

            await Eventually.TrueAsync(
                async () => { var body = (await scenario.Executor.GetAsync("/state/desired")).Body; return inFlight.All(a => body.Contains(a.AllocationId, StringComparison.Ordinal)); },
                Host.Patience,
                "allocations running");
            var orphans = await Eventually.UntilAsync(
                () => Task.FromResult(Host.FunctionExecutorPids(oldId) is { Count: 2 } pids ? pids : null),
                Host.Patience,
                $"both FE processes alive (FE states: {string.Join(", ", fes.Select(fe => server.LastStateOf(fe.Id)?.Status + "/" + server.LastStateOf(fe.Id)?.TerminationReason))})");
            var codeEntries = Directory.GetFiles(Path.Combine(cache, "application_cache"), "*", SearchOption.AllDirectories);
            Assert.Equal(2, codeEntries.Length);

            scenario.Executor.Kill();
            Assert.All(orphans, pid => Assert.True(Host.IsAlive(pid), $"FE {pid} died with the executor; nothing to reap"));

            // While it is down, the code cache entries are damaged: one truncated, one same-size garbage.
            await File.WriteAllBytesAsync(codeEntries[0], "PK"u8.ToArray());
            var original = await File.ReadAllBytesAsync(codeEntries[1]);
            await File.WriteAllBytesAsync(codeEntries[1], Enumerable.Repeat((byte)'X', original.Length).ToArray());

            restarted = await scenario.StartExecutorAsync(cache);
            Assert.All(orphans, pid => Assert.False(Host.IsAlive(pid), $"orphan FE {pid} survived the restart"));
            Assert.Empty(Host.FunctionExecutorPids(oldId));
            Assert.Empty(Host.PidRecords(cache));
            Assert.Empty(Host.WorkDirectories(cache));

            var registered = await server.WaitForAsync(s => s.Executors.FirstOrDefault(e => e.ExecutorId != oldId && e.IsRegistered), Host.Patience, "a new executor id registered");
            newId = registered.ExecutorId;
            Assert.NotEqual(oldId, newId);

            // The Server re-places the same applications on the new executor: the code comes from the Server again.
            foreach (var fe in fes)
            {
                var again = server.NewFunctionExecutor("ns", fe.Function.ApplicationName, TestFunctions.Echo, fe.Function.ApplicationVersion, codePayload: fe.Application);
                server.AddFunctionExecutor(newId, again);
                var arg = server.Blobs.PutRequestPayload("ns", fe.Function.ApplicationName, "after-restart", "in-" + again.Id, "\"after restart\""u8.ToArray(), "application/json");
                var allocation = server.AddAllocation(server.NewAllocation(again, [arg], requestId: "after-restart"), newId);
                var result = await server.WaitForResultAsync(allocation.AllocationId, Host.Patience);
                Assert.Equal(AllocationOutcomeCode.Success, result.OutcomeCode);
            }

            Assert.Equal(2, CountOccurrences(restarted.Output, "does not match its size/sha256; fetching it again"));
            foreach (var entry in codeEntries)
            {
                Assert.Equal("PK-test-code-1", Encoding.UTF8.GetString(await File.ReadAllBytesAsync(entry)));
            }

            // None of the killed executor's allocations was reported by the new one.
            Assert.All(inFlight, a => Assert.Equal(0, server.GetReportStats(a.AllocationId).TimesReported));
        }
        finally
        {
            if (restarted is not null)
            {
                await restarted.DisposeAsync();
            }

            Host.KillFunctionExecutorsOf(oldId);
            if (newId is not null)
            {
                Host.KillFunctionExecutorsOf(newId);
            }
        }
    }

    [Fact]
    public async Task SigtermUnderLoadReportsOrCancelsEveryInFlightAllocationReportsStoppedAndExitsZeroWithNoProcessLeft()
    {
        await using var scenario = await ExecutorScenario.StartAsync(environment: new Dictionary<string, string> { ["EXECUTOR__ReportInterval"] = "00:00:01" }, protocols: TProtocols.Combination);
        var server = scenario.Server;
        try
        {
            var fes = new[]
            {
                scenario.AddFunctionExecutor(TestFunctions.SleepFor(700), maxConcurrency: 4, application: "term-a"),
                scenario.AddFunctionExecutor(TestFunctions.SleepFor(700), maxConcurrency: 4, application: "term-b"),
            };
            foreach (var fe in fes)
            {
                await server.WaitForStatusAsync(fe.Id, FunctionExecutorStatus.Running);
            }

            var allocations = fes.SelectMany(fe => Enumerable.Range(0, 16).Select(_ => scenario.AddAllocation(fe))).ToList();
            await server.WaitUntilAsync(s => allocations.Count(a => s.GetAcceptedResult(a.AllocationId) is not null) >= 4, Host.Patience, "some results delivered before SIGTERM");
            var before = server.LastSequence;

            var exitCode = await scenario.Executor.StopAsync(TimeSpan.FromSeconds(60));

            Assert.Equal(0, exitCode);
            var stopped = await server.WaitForReportAsync(r => r.ExecutorStatus == ExecutorStatus.Stopped, TimeSpan.FromSeconds(10), afterSequence: before);
            Assert.Empty(stopped.FunctionExecutorStates);
            await Host.AssertNoFunctionExecutorLeftoversAsync(scenario.ExecutorId, scenario.Executor.CachePath, TimeSpan.FromSeconds(10));

            // Every result that was reported is a success (finished) or a defined cancellation-type failure; none twice.
            var reported = allocations.Select(a => server.GetAcceptedResult(a.AllocationId)).Where(r => r is not null).ToList();
            Assert.True(reported.Count >= 4);
            Assert.All(reported, r => Assert.True(
                r!.OutcomeCode == AllocationOutcomeCode.Success
                || r.FailureReason is AllocationFailureReason.AllocationCancelled or AllocationFailureReason.FunctionExecutorTerminated or AllocationFailureReason.ExecutorRemoved,
                $"{r.AllocationId}: {r.OutcomeCode}/{r.FailureReason}"));
            Assert.All(allocations, a => Assert.Equal(0, server.GetReportStats(a.AllocationId).DuplicateCount));
            Console.WriteLine($"[reliability] SIGTERM with {allocations.Count} allocations queued: {reported.Count(r => r!.OutcomeCode == AllocationOutcomeCode.Success)} succeeded, {reported.Count(r => r!.OutcomeCode != AllocationOutcomeCode.Success)} cancelled/failed, {allocations.Count - reported.Count} unreported");
        }
        finally
        {
            Host.KillFunctionExecutorsOf(scenario.ExecutorId);
        }
    }

    private static int CountOccurrences(string text, string value)
    {
        var count = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}

/// <summary><see cref="ExecutorFaultTests{TProtocols}"/> on the diagonal: v1 with FE 0.1.2, v2 with FE 0.1.3.</summary>
public static class ExecutorFaultTests
{
    public sealed class V1Fe012 : ExecutorFaultTests<Protocols.V1Fe012>;

    public sealed class V2Fe013 : ExecutorFaultTests<Protocols.V2Fe013>;
}

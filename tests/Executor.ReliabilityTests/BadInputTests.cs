using System.Text;
using Executor.Protocol.ServerV1;
using Executor.ReliabilityTests.Infrastructure;
using Executor.TestHost;
using Executor.Testing;
using TestFunctionExecutor;

namespace Executor.ReliabilityTests;

/// <summary>Work the Server should never send: each bad piece gets a defined outcome, good pieces still run.</summary>
public abstract class BadInputTests<TProtocols>
    where TProtocols : IProtocols
{
    [Fact]
    public async Task HugeArgumentListsInvalidUrisAndAbsurdTimeoutsEachGetADefinedOutcome()
    {
        await using var scenario = await ExecutorScenario.StartAsync(protocols: TProtocols.Combination);
        var server = scenario.Server;
        var echo = scenario.AddFunctionExecutor(TestFunctions.Echo, maxConcurrency: 4, application: "good");
        var eternalInit = scenario.AddFunctionExecutor(TestFunctions.Echo, initializationTimeoutMs: uint.MaxValue, application: "eternal-init");
        var oneMs = scenario.AddFunctionExecutor(TestFunctions.SleepFor(2000), allocationTimeoutMs: 1, application: "one-ms");
        await server.WaitForStatusAsync(echo.Id, FunctionExecutorStatus.Running);

        // 5,000 arguments on one allocation: all handed over (the FE checks args and arg_blobs counts match), arg 0 echoed.
        var request = Guid.NewGuid().ToString("N");
        var args = Enumerable.Range(0, 5000)
            .Select(i => server.Blobs.PutRequestPayload("ns", "good", request, "arg-" + i, Encoding.UTF8.GetBytes($"\"arg {i}\""), "application/json"))
            .ToList();
        var huge = server.AddAllocation(server.NewAllocation(echo, args, requestId: request));

        // Invalid URIs: relative file://, unsupported schemes (gopher on loopback: nothing is ever contacted), garbage.
        var badUris = new[] { "file://relative/path/input", "file:relative", "gopher://127.0.0.1:1/input", "not a uri at all" };
        var badUriAllocations = badUris.Select(uri =>
        {
            var allocation = server.NewAllocation(echo, [server.Blobs.PutRequestPayload("ns", "good", Guid.NewGuid().ToString("N"), "x", "\"x\""u8.ToArray(), "application/json")]);
            allocation.Args[0].Uri = uri;
            return (uri, server.AddAllocation(allocation));
        }).ToList();

        // Well-formed but missing: the FE cannot read it, a function-side failure (not a hang, not a crash).
        var missingAllocation = server.NewAllocation(echo, [server.Blobs.PutRequestPayload("ns", "good", Guid.NewGuid().ToString("N"), "x", "\"x\""u8.ToArray(), "application/json")]);
        missingAllocation.Args[0].Uri = "file:///nonexistent/" + Guid.NewGuid();
        var missing = server.AddAllocation(missingAllocation);

        var timedOut = scenario.AddAllocation(oneMs);
        var slowInitOk = scenario.AddAllocation(eternalInit);
        var good = scenario.AddAllocation(echo, "\"still fine\"");

        var hugeResult = await server.WaitForResultAsync(huge.AllocationId, Host.Patience);
        Assert.Equal(AllocationOutcomeCode.Success, hugeResult.OutcomeCode);
        Assert.Equal("\"arg 0\"", Encoding.UTF8.GetString(Values.Read(server, hugeResult)));

        foreach (var (uri, allocation) in badUriAllocations)
        {
            var result = await server.WaitForResultAsync(allocation.AllocationId, Host.Patience);
            Assert.True(result.OutcomeCode == AllocationOutcomeCode.Failure && result.FailureReason == AllocationFailureReason.InternalError, $"{uri}: {result}");
        }

        var missingResult = await server.WaitForResultAsync(missing.AllocationId, Host.Patience);
        Assert.Equal(AllocationOutcomeCode.Failure, missingResult.OutcomeCode);
        Assert.True(missingResult.FailureReason is AllocationFailureReason.FunctionError or AllocationFailureReason.InternalError, missingResult.ToString());

        var timeoutResult = await server.WaitForResultAsync(timedOut.AllocationId, Host.Patience);
        Assert.Equal(AllocationOutcomeCode.Failure, timeoutResult.OutcomeCode);
        // Finding (see README): with allocation_timeout_ms = 1 the result is FUNCTION_ERROR on some runs instead of FUNCTION_TIMEOUT.
        Assert.True(timeoutResult.FailureReason is AllocationFailureReason.FunctionTimeout or AllocationFailureReason.FunctionError, timeoutResult.FailureReason.ToString());
        Console.WriteLine($"[reliability] allocation_timeout_ms=1 -> {timeoutResult.FailureReason}");

        Assert.Equal(AllocationOutcomeCode.Success, (await server.WaitForResultAsync(slowInitOk.AllocationId, Host.Patience)).OutcomeCode);
        var goodResult = await server.WaitForResultAsync(good.AllocationId, Host.Patience);
        Assert.Equal("\"still fine\"", Encoding.UTF8.GetString(Values.Read(server, goodResult)));

        Assert.Equal(200, (await scenario.Executor.GetAsync("/monitoring/startup")).Status);
        foreach (var id in badUriAllocations.Select(b => b.Item2.AllocationId).Append(huge.AllocationId).Append(timedOut.AllocationId))
        {
            Assert.Equal(0, server.GetReportStats(id).DuplicateCount);
        }
    }
}

/// <summary><see cref="BadInputTests{TProtocols}"/> on the diagonal: v1 with FE 0.1.2, v2 with FE 0.1.3.</summary>
public static class BadInputTests
{
    public sealed class V1Fe012 : BadInputTests<Protocols.V1Fe012>;

    public sealed class V2Fe013 : BadInputTests<Protocols.V2Fe013>;
}

/// <summary>
/// Server protocol v1 only: raw desired-state snapshots the Server should never send (v2 has no snapshots; its commands
/// are checked by the v2 adapter's own tests), with FE 0.1.2.
/// </summary>
public sealed class BadDesiredStateTests
{
    [Fact]
    public async Task DuplicateAndConflictingFunctionExecutorIdsDoNotStartTwoProcesses()
    {
        await using var scenario = await ExecutorScenario.StartAsync(protocols: ProtocolCombination.V1Fe012);
        var server = scenario.Server;
        var fe = scenario.AddFunctionExecutor(TestFunctions.Echo, maxConcurrency: 2, application: "dup");
        await server.WaitForStatusAsync(fe.Id, FunctionExecutorStatus.Running);
        var rejectedBefore = await Host.RejectedPiecesAsync(scenario.Executor);

        // The same FE id twice, once with a different function; an allocation with the same id twice; an allocation
        // naming an FE that does not exist.
        var snapshot = server.GetDesiredState(scenario.ExecutorId)!.Clone();
        var twin = snapshot.FunctionExecutors[0].Clone();
        twin.Function.FunctionName = "fail_function";
        snapshot.FunctionExecutors.Add(snapshot.FunctionExecutors[0].Clone());
        snapshot.FunctionExecutors.Add(twin);
        var allocation = server.NewAllocation(fe, [server.Blobs.PutRequestPayload("ns", "dup", "r1", "a", "\"dup\""u8.ToArray(), "application/json")], requestId: "r1");
        snapshot.Allocations.Add(allocation);
        snapshot.Allocations.Add(allocation.Clone());
        var orphan = allocation.Clone();
        orphan.AllocationId = "alloc-for-unknown-fe";
        orphan.FunctionExecutorId = "fe-unknown-" + Guid.NewGuid().ToString("N");
        snapshot.Allocations.Add(orphan);
        server.PushRawSnapshot(scenario.ExecutorId, snapshot);

        await Eventually.TrueAsync(async () => await Host.RejectedPiecesAsync(scenario.Executor) > rejectedBefore, Host.Patience, "rejected pieces counted");
        await Eventually.TrueAsync(
            async () => server.Reports.SelectMany(r => r.AllocationResults).Any(r => r.AllocationId == allocation.AllocationId),
            Host.Patience,
            "the duplicated allocation was run");

        // Give the executor a few reports to do anything twice.
        await server.WaitForReportAsync(r => r.Succeeded, Host.Patience, afterSequence: server.LastSequence);
        await server.WaitForReportAsync(r => r.Succeeded, Host.Patience, afterSequence: server.LastSequence);
        var runs = server.Reports.SelectMany(r => r.AllocationResults).Count(r => r.AllocationId == allocation.AllocationId);
        Assert.Equal(1, runs);
        Assert.Equal(AllocationOutcomeCode.Success, server.Reports.SelectMany(r => r.AllocationResults).First(r => r.AllocationId == allocation.AllocationId).OutcomeCode);
        Assert.Single(Host.FunctionExecutorPidsOf(fe.Id));
        Assert.Equal(200, (await scenario.Executor.GetAsync("/monitoring/startup")).Status);
    }

    [Fact]
    public async Task AThousandMutatedDesiredStatesAreRejectedPieceByPieceAndAGoodAllocationRunsAfterwards()
    {
        await using var scenario = await ExecutorScenario.StartAsync(protocols: ProtocolCombination.V1Fe012);
        var server = scenario.Server;
        var fe = scenario.AddFunctionExecutor(TestFunctions.Echo, maxConcurrency: 2);
        var first = scenario.AddAllocation(fe);
        await server.WaitForResultAsync(first.AllocationId, Host.Patience);
        var baseline = server.GetDesiredState(scenario.ExecutorId)!.Clone();
        for (var i = 0; i < 3; i++)
        {
            baseline.Allocations.Add(server.NewAllocation(fe, [server.Blobs.PutRequestPayload("ns", "app", "fuzz", "in-" + i, "\"fuzz\""u8.ToArray(), "application/json")], requestId: "fuzz"));
        }

        var rejectedBefore = await Host.RejectedPiecesAsync(scenario.Executor);
        var mutator = new ProtobufMutator(10_000_001);
        const int Mutations = 1000;
        for (var i = 0; i < Mutations; i++)
        {
            await PushToTheOpenStreamAsync(scenario, mutator.Mutate(baseline, 1 + (i % 5)), i);
            if (i % 10 == 9)
            {
                // Let the stream drain now and then, so the executor really reads most of them.
                Assert.Equal(200, (await scenario.Executor.GetAsync("/monitoring/startup")).Status);
            }
        }

        // The fuzz also re-described `fe` itself: valid descriptions with another function, code digest, resources,
        // timeouts or container type, and invalid ones that drop it. An FE id keeps the description it was started
        // with (later ones are ignored, as upstream), so `fe` ends up as whichever description it was last started
        // from, depending on which snapshots the executor got to apply (latest wins): running another function, or
        // terminated after a failed start. A real Server never re-describes an id; it replaces a broken FE with a new
        // one. So the Server takes everything back, the executor must stop all it started (nothing leaked), and good
        // work on a new FE must run.
        server.ReplaceDesiredState(scenario.ExecutorId, new DesiredExecutorState());
        var emptied = server.Clock;
        await server.WaitForReportAsync(
            r => r.Succeeded && r.ServerClock is { } clock && clock >= emptied && clock <= server.Clock && r.FunctionExecutorStates.Count == 0,
            Host.Patience);
        await Eventually.TrueAsync(() => Host.FunctionExecutorPids(scenario.ExecutorId).Count == 0, Host.Patience, "no FE process left after the fuzz");

        var fresh = scenario.AddFunctionExecutor(TestFunctions.Echo, maxConcurrency: 2);
        var after = scenario.AddAllocation(fresh, "\"after the fuzz\"");
        var result = await server.WaitForResultAsync(after.AllocationId, Host.Patience);
        Assert.Equal(AllocationOutcomeCode.Success, result.OutcomeCode);
        Assert.Equal("\"after the fuzz\"", Encoding.UTF8.GetString(Values.Read(server, result)));
        Assert.False(scenario.Executor.HasExited);
        Assert.Equal(200, (await scenario.Executor.GetAsync("/monitoring/startup")).Status);
        var rejectedAfter = rejectedBefore;
        await Eventually.TrueAsync(
            async () => (rejectedAfter = await Host.RejectedPiecesAsync(scenario.Executor)) > rejectedBefore,
            Host.Patience,
            "desired_state_rejected_pieces_total moved");
        Fuzzed.Record(Mutations, rejectedAfter - rejectedBefore);
    }

    /// <summary>
    /// Offers a snapshot to the executor's desired-state stream. Between two streams (the executor reopens one that
    /// ended; seen once on a loaded machine) nobody would read it: then it is offered again once a stream is open, and
    /// the failure says what happened to the streams if none opens.
    /// </summary>
    private static async Task PushToTheOpenStreamAsync(ExecutorScenario scenario, DesiredExecutorState snapshot, int number)
    {
        var server = scenario.Server;
        for (var attempt = 1; server.PushRawSnapshot(scenario.ExecutorId, snapshot) != 1; attempt++)
        {
            var streams = string.Join('\n', server.StreamEvents.TakeLast(6));
            Assert.True(attempt < 5, $"snapshot {number} found no open stream {attempt} times:\n{streams}");
            await server.WaitUntilAsync(s => s.OpenStreamCount == 1, Host.Patience, $"a desired-state stream open again for snapshot {number}; last stream events:\n{streams}");
        }
    }

}

internal static class Values
{
    public static byte[] Read(FakeIndexifyServer.FakeServer server, AllocationResult result)
    {
        Assert.NotNull(result.Value);
        return server.Blobs.Read(result.Value);
    }
}

/// <summary>Figures for the README, printed in the test output.</summary>
internal static class Fuzzed
{
    public static void Record(int mutations, double rejected) =>
        Console.WriteLine($"[reliability] {mutations} mutated desired states pushed, {rejected} pieces rejected");
}

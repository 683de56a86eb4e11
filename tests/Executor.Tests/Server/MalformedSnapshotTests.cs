using Executor.Protocol.ServerV1;
using Executor.TestHost;
using Google.Protobuf;
using TestFunctionExecutor;
using Xunit;

namespace Executor.Tests.Server;

/// <summary>
/// Server protocol v1: snapshots with bad pieces: each bad piece is rejected on its own, the good pieces still run, the
/// executor stays up.
/// </summary>
public sealed class MalformedSnapshotTests
{
    [Fact]
    public async Task BadPiecesAreRejectedOneByOneAndGoodPiecesStillRun()
    {
        await using var scenario = await ExecutorScenario.StartAsync(protocols: ProtocolCombination.V1Fe012);
        var server = scenario.Server;
        var fe = scenario.AddFunctionExecutor(TestFunctions.Echo, maxConcurrency: 4);
        var good = scenario.AddAllocation(fe);
        var snapshot = server.GetDesiredState(scenario.ExecutorId)!.Clone();
        var template = snapshot.Allocations.Single(a => a.AllocationId == good.AllocationId);

        // Field-by-field damage: each copy breaks exactly one required field.
        var damaged = new List<(string Name, Func<Allocation, Allocation> Damage, bool Answerable)>
        {
            ("no request_id", a => { a.ClearRequestId(); return a; }, false),
            ("no function", a => { a.Function = null; return a; }, false),
            ("no function_executor_id", a => { a.ClearFunctionExecutorId(); return a; }, true),
            ("no request_data_payload_uri_prefix", a => { a.ClearRequestDataPayloadUriPrefix(); return a; }, true),
            ("no function_call_metadata", a => { a.ClearFunctionCallMetadata(); return a; }, true),
            ("arg without uri", a => { a.Args[0].ClearUri(); return a; }, true),
            ("arg without sha256", a => { a.Args[0].ClearSha256Hash(); return a; }, true),
            ("unknown FE", a => { a.FunctionExecutorId = "fe-that-does-not-exist"; return a; }, false),
        };
        var pushed = snapshot.Clone();
        var answerable = new List<string>();
        foreach (var (name, damage, isAnswerable) in damaged)
        {
            var copy = damage(template.Clone());
            copy.AllocationId = "bad-" + name.Replace(' ', '-');
            pushed.Allocations.Add(copy);
            if (isAnswerable)
            {
                answerable.Add(copy.AllocationId);
            }
        }

        // A duplicate of the good allocation and FE descriptions missing required fields.
        pushed.Allocations.Add(template.Clone());
        var badFe = pushed.FunctionExecutors[0].Clone();
        badFe.Id = "fe-without-resources";
        badFe.Resources = null;
        pushed.FunctionExecutors.Add(badFe);
        var badFe2 = pushed.FunctionExecutors[0].Clone();
        badFe2.ClearId();
        pushed.FunctionExecutors.Add(badFe2);
        pushed.FunctionCallResults.Add(new FunctionCallResult { Namespace = "ns" });

        server.PushRawSnapshot(scenario.ExecutorId, pushed);

        var result = await server.WaitForResultAsync(good.AllocationId, TimeSpan.FromSeconds(60));
        Assert.Equal(AllocationOutcomeCode.Success, result.OutcomeCode);

        // Identifiable bad allocations are answered with INTERNAL_ERROR instead of being left hanging. The real Server
        // keeps listing an allocation until its result arrives; the fake does not know these raw ones, so the test
        // keeps offering the snapshot, as the Server would.
        await Executor.Testing.Eventually.TrueAsync(
            () =>
            {
                if (answerable.All(id => server.Reports.Any(x => x.AllocationResults.Any(res => res.AllocationId == id))))
                {
                    return true;
                }

                server.PushRawSnapshot(scenario.ExecutorId, pushed);
                return false;
            },
            TimeSpan.FromSeconds(60),
            "every identifiable bad allocation answered");
        foreach (var id in answerable)
        {
            var failure = server.Reports.SelectMany(r => r.AllocationResults).First(r => r.AllocationId == id);
            Assert.Equal(AllocationOutcomeCode.Failure, failure.OutcomeCode);
            Assert.Equal(AllocationFailureReason.InternalError, failure.FailureReason);
        }

        Assert.DoesNotContain(server.Reports.SelectMany(r => r.FunctionExecutorStates), s => s.Description.Id == "fe-without-resources");
        Assert.Equal(200, (await scenario.Executor.GetAsync("/monitoring/startup")).Status);
        Assert.Equal(1, server.GetReportStats(good.AllocationId).TimesReported);
        var metrics = (await scenario.Executor.GetAsync("/monitoring/metrics")).Body;
        Assert.Contains("desired_state_rejected_pieces_total", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RandomlyMutatedSnapshotsNeverTakeTheExecutorDown()
    {
        await using var scenario = await ExecutorScenario.StartAsync(protocols: ProtocolCombination.V1Fe012);
        var server = scenario.Server;
        var fe = scenario.AddFunctionExecutor(TestFunctions.Echo);
        var first = scenario.AddAllocation(fe);
        await server.WaitForResultAsync(first.AllocationId, TimeSpan.FromSeconds(60));
        var baseline = server.GetDesiredState(scenario.ExecutorId)!.Clone();
        baseline.Allocations.Add(server.NewAllocation(fe));

        // Seeded structure-aware mutations: every case parses and reaches the executor's validation.
        var mutator = new ProtobufMutator(20261128);
        var pushed = 0;
        for (var i = 0; i < 200; i++)
        {
            server.PushRawSnapshot(scenario.ExecutorId, mutator.Mutate(baseline, 1 + (i % 4)));
            pushed++;
        }

        Assert.True(pushed > 50, $"only {pushed} mutations parsed");

        // The mutations also re-describe `fe` (another function, digest or resources, or a description that drops it),
        // and an FE id keeps the description it was last started from: a real Server never does that, it replaces an FE
        // with a new id. So, as after any such mess, the Server takes everything back and good work goes to a new FE:
        // still alive and still working.
        server.ReplaceDesiredState(scenario.ExecutorId, new DesiredExecutorState());
        var emptied = server.Clock;
        await server.WaitForReportAsync(
            r => r.Succeeded && r.ServerClock is { } clock && clock >= emptied && clock <= server.Clock && r.FunctionExecutorStates.Count == 0,
            TimeSpan.FromSeconds(90));
        var fresh = scenario.AddFunctionExecutor(TestFunctions.Echo);
        var after = scenario.AddAllocation(fresh);
        var result = await server.WaitForResultAsync(after.AllocationId, TimeSpan.FromSeconds(90));
        Assert.Equal(AllocationOutcomeCode.Success, result.OutcomeCode);
        Assert.Equal(200, (await scenario.Executor.GetAsync("/monitoring/startup")).Status);
        Assert.False(scenario.Executor.HasExited);
    }
}

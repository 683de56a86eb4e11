using Executor.Protocol.ServerV1;
using Executor.TestHost;
using Executor.Testing;
using FakeIndexifyServer;
using TestFunctionExecutor;
using Xunit;

namespace Executor.Tests.Server;

/// <summary>The Server goes away or forgets the executor: nothing is lost, and the executor finds its way back.</summary>
public abstract class ServerOutageTests<TProtocols>
    where TProtocols : IProtocols
{
    [Fact]
    public async Task ResultsFinishedDuringAnOutageAreDeliveredOnceAfterItAndHealthFollowsTheChannel()
    {
        await using var scenario = await ExecutorScenario.StartAsync(protocols: TProtocols.Combination);
        var server = scenario.Server;
        var fe = scenario.AddFunctionExecutor(TestFunctions.SleepFor(1500));
        await server.WaitForReportAsync(r => r.FunctionExecutorStates.Any(s => s.Description.Id == fe.Id && s.Status == FunctionExecutorStatus.Running), TimeSpan.FromSeconds(30));
        var allocation = scenario.AddAllocation(fe);
        await Eventually.TrueAsync(async () => (await scenario.Executor.GetAsync("/state/desired")).Body.Contains(allocation.AllocationId, StringComparison.Ordinal), TimeSpan.FromSeconds(20), "allocation received");
        var readsBefore = scenario.DesiredStateReads;

        await server.StopListeningAsync();
        await Eventually.TrueAsync(async () => (await scenario.Executor.GetAsync("/monitoring/health")).Status == 503, TimeSpan.FromSeconds(30), "health turns 503 while the Server is unreachable");
        Assert.Null(server.GetAcceptedResult(allocation.AllocationId));

        await server.StartListeningAsync();
        var result = await server.WaitForResultAsync(allocation.AllocationId, TimeSpan.FromSeconds(60));
        Assert.Equal(AllocationOutcomeCode.Success, result.OutcomeCode);
        await Eventually.TrueAsync(async () => (await scenario.Executor.GetAsync("/monitoring/health")).Status == 200, TimeSpan.FromSeconds(30), "health recovers");
        await scenario.WaitForDesiredStateReadAsync(readsBefore, TimeSpan.FromSeconds(30));
        var stats = server.GetReportStats(allocation.AllocationId);
        Assert.Equal(0, stats.DuplicateCount);
    }

    [Fact]
    public async Task AfterAServerRestartTheExecutorRegistersAgainAndKeepsWorking()
    {
        await using var scenario = await ExecutorScenario.StartAsync(protocols: TProtocols.Combination);
        var server = scenario.Server;
        server.AdoptUntrackedFunctionExecutors = true;
        var fe = scenario.AddFunctionExecutor(TestFunctions.Echo);
        await server.WaitForReportAsync(r => r.FunctionExecutorStates.Any(s => s.Description.Id == fe.Id && s.Status == FunctionExecutorStatus.Running), TimeSpan.FromSeconds(30));
        var before = server.LastSequence;
        var readsBefore = scenario.DesiredStateReads;

        await server.SimulateRestartAsync();
        await server.WaitForReportAsync(r => r.Succeeded && r.WasStateChange && r.ExecutorId == scenario.ExecutorId, TimeSpan.FromSeconds(60), afterSequence: before);
        await scenario.WaitForDesiredStateReadAsync(readsBefore, TimeSpan.FromSeconds(60));
        Assert.True(server.GetExecutor(scenario.ExecutorId)!.IsRegistered);

        // The adopted FE keeps serving: a new allocation on it completes.
        var allocation = scenario.AddAllocation(fe);
        var result = await server.WaitForResultAsync(allocation.AllocationId, TimeSpan.FromSeconds(60));
        Assert.Equal(AllocationOutcomeCode.Success, result.OutcomeCode);
    }
}

/// <summary><see cref="ServerOutageTests{TProtocols}"/> on the diagonal: v1 with FE 0.1.2, v2 with FE 0.1.3.</summary>
public static class ServerOutageTests
{
    public sealed class V1Fe012 : ServerOutageTests<Protocols.V1Fe012>;

    public sealed class V2Fe013 : ServerOutageTests<Protocols.V2Fe013>;
}

using Executor.Protocol.ServerV1;
using Executor.TestHost;
using Grpc.Core;
using TestFunctionExecutor;
using Xunit;

namespace Executor.Tests.Server;

public abstract class ReportBackoffAndDrainTests<TProtocols>
    where TProtocols : IProtocols
{
    [Fact]
    public async Task FailedReportsBackOffTimesThreeAndRecoverToTheNormalInterval()
    {
        await using var scenario = await ExecutorScenario.StartAsync(environment: new Dictionary<string, string> { ["EXECUTOR__ReportInterval"] = "00:00:01" }, protocols: TProtocols.Combination);
        var server = scenario.Server;
        var last = await server.WaitForReportAsync(r => r.Succeeded, TimeSpan.FromSeconds(20), afterSequence: server.LastSequence);

        server.FailNextReports(2, StatusCode.Unavailable);
        var failed1 = await server.WaitForReportAsync(r => !r.Succeeded, TimeSpan.FromSeconds(20), afterSequence: last.Sequence);
        var failed2 = await server.WaitForReportAsync(r => r.ExecutorId == scenario.ExecutorId, TimeSpan.FromSeconds(30), afterSequence: failed1.Sequence);
        var recovered = await server.WaitForReportAsync(r => r.ExecutorId == scenario.ExecutorId, TimeSpan.FromSeconds(40), afterSequence: failed2.Sequence);
        var normal = await server.WaitForReportAsync(r => r.ExecutorId == scenario.ExecutorId, TimeSpan.FromSeconds(20), afterSequence: recovered.Sequence);

        Assert.False(failed2.Succeeded);
        Assert.True(recovered.Succeeded);
        var gap1 = failed2.ReceivedAt - failed1.ReceivedAt;
        var gap2 = recovered.ReceivedAt - failed2.ReceivedAt;
        var gap3 = normal.ReceivedAt - recovered.ReceivedAt;
        Assert.InRange(gap1.TotalSeconds, 2.5, 8.9);
        Assert.InRange(gap2.TotalSeconds, 8.5, 30);
        Assert.True(gap3 < TimeSpan.FromSeconds(8), $"after a success the interval is back to 1 s (was {gap3.TotalSeconds:0.0} s)");
    }

    [Fact]
    public async Task DrainedExecutorReportsDrainedAndStartsNoNewWork()
    {
        await using var scenario = await ExecutorScenario.StartAsync(protocols: TProtocols.Combination);
        var server = scenario.Server;
        var fe = scenario.AddFunctionExecutor(TestFunctions.Echo);
        var before = scenario.AddAllocation(fe);
        await server.WaitForResultAsync(before.AllocationId, TimeSpan.FromSeconds(60));

        using var http = new HttpClient();
        using var drain = await http.PostAsync(scenario.Executor.MonitoringUri("/executor/drain"), null);
        Assert.Equal(200, (int)drain.StatusCode);
        var drained = await server.WaitForReportAsync(r => r.ExecutorStatus == ExecutorStatus.Drained, TimeSpan.FromSeconds(30));

        var refused = scenario.AddAllocation(fe);
        var result = await server.WaitForResultAsync(refused.AllocationId, TimeSpan.FromSeconds(30));
        Assert.Equal(AllocationFailureReason.FunctionExecutorTerminated, result.FailureReason);

        var newFe = scenario.AddFunctionExecutor(TestFunctions.Echo, application: "late");
        var terminated = await server.WaitForReportAsync(r => r.FunctionExecutorStates.Any(s => s.Description.Id == newFe.Id && s.Status == FunctionExecutorStatus.Terminated), TimeSpan.FromSeconds(30), afterSequence: drained.Sequence);
        Assert.DoesNotContain(terminated.FunctionExecutorStates.Single(s => s.Description.Id == newFe.Id).AllocationIdsCausedTermination, _ => true);
    }
}

/// <summary><see cref="ReportBackoffAndDrainTests{TProtocols}"/> on the diagonal: v1 with FE 0.1.2, v2 with FE 0.1.3.</summary>
public static class ReportBackoffAndDrainTests
{
    public sealed class V1Fe012 : ReportBackoffAndDrainTests<Protocols.V1Fe012>;

    public sealed class V2Fe013 : ReportBackoffAndDrainTests<Protocols.V2Fe013>;
}

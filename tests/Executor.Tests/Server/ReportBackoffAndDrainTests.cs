using Executor.Protocol.ServerV1;
using Executor.TestHost;
using Grpc.Core;
using TestFunctionExecutor;
using Xunit;

namespace Executor.Tests.Server;

/// <summary>
/// Drain end to end under both protocol pairs. The report backoff schedule itself is covered in-process
/// (Executor.Grains.Tests ReportingTests, on a fake clock) rather than by waiting out real intervals here.
/// </summary>
public abstract class ReportBackoffAndDrainTests<TProtocols>
    where TProtocols : IProtocols
{
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

using Executor.FunctionExecutors.Tests.Infrastructure;
using Executor.Protocol.ServerV1;
using Executor.TestHost;
using TestFunctionExecutor;

namespace Executor.FunctionExecutors.Tests;

/// <summary>
/// Running FEs that die or stop answering are terminated UNHEALTHY. Bound: detection takes at most
/// interval + N × (timeout + interval) for a hang (≈ 5 s here), one interval for an explicit "unhealthy", and the exit
/// itself for a crash; the tests allow 30 s on top for a loaded machine.
/// </summary>
public abstract class HealthTests<TProtocols>(SharedExecutorFixture<TProtocols> fixture)
    where TProtocols : IProtocols
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("crash_idle_1500")]
    [InlineData(TestFunctions.HangHealth)]
    [InlineData(TestFunctions.Unhealthy)]
    public async Task BrokenRunningFunctionExecutorIsTerminatedUnhealthy(string function)
    {
        var scenario = fixture.Scenario;
        var server = scenario.Server;
        var fe = scenario.AddFunctionExecutor(function, application: "health-" + function);

        var running = await server.WaitForStatusAsync(fe.Id, FunctionExecutorStatus.Running);
        var terminated = await server.WaitForStatusAsync(fe.Id, FunctionExecutorStatus.Terminated, running.Sequence);

        Assert.Equal(FunctionExecutorTerminationReason.Unhealthy, ReportLog.StateOf(terminated, fe.Id)!.TerminationReason);
        Assert.Empty(FunctionExecutorProcessTable.Find(fe.Id));
        var elapsed = terminated.ReceivedAt - running.ReceivedAt;
        Assert.True(elapsed < Bound, $"{function}: UNHEALTHY reported {elapsed} after RUNNING");
        if (function == TestFunctions.HangHealth)
        {
            // Declared hung by the configured count of timeouts, not by the first one.
            Assert.Contains($"function executor {fe.Id} is unhealthy: {SharedExecutorFixture.TimeoutsBeforeUnhealthy} health checks timed out", scenario.Executor.Output, StringComparison.Ordinal);
        }
    }
}

/// <summary><see cref="HealthTests{TProtocols}"/> on the diagonal, each on the shared executor of its combination.</summary>
public static class HealthTests
{
    [Collection(SharedExecutorFixture.V1Fe012)]
    public sealed class V1Fe012(SharedExecutorFixture<Protocols.V1Fe012> fixture) : HealthTests<Protocols.V1Fe012>(fixture);

    [Collection(SharedExecutorFixture.V2Fe013)]
    public sealed class V2Fe013(SharedExecutorFixture<Protocols.V2Fe013> fixture) : HealthTests<Protocols.V2Fe013>(fixture);
}

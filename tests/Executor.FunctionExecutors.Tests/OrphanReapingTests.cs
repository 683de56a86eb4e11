using Executor.FunctionExecutors.Tests.Infrastructure;
using Executor.Protocol.ServerV1;
using Executor.TestHost;
using Executor.Testing;
using TestFunctionExecutor;

namespace Executor.FunctionExecutors.Tests;

/// <summary>
/// FEs outlive an executor killed with SIGKILL (they lead their own sessions); the next executor on the same cache kills
/// them. Process handling does not depend on the protocols: v1 with FE 0.1.2.
/// </summary>
public sealed class OrphanReapingTests
{
    [Fact]
    public async Task RestartedExecutorKillsTheFunctionExecutorsOfAKilledOne()
    {
        await using var scenario = await ExecutorScenario.StartAsync(protocols: ProtocolCombination.V1Fe012);
        var server = scenario.Server;
        var fes = new[]
        {
            scenario.AddFunctionExecutor(TestFunctions.Hang, application: "orphan-a"),
            scenario.AddFunctionExecutor(TestFunctions.Hang, application: "orphan-b"),
        };
        foreach (var fe in fes)
        {
            scenario.AddAllocation(fe);
            await server.WaitForStatusAsync(fe.Id, FunctionExecutorStatus.Running);
        }

        var pids = fes.Select(fe => Assert.Single(FunctionExecutorProcessTable.Find(fe.Id))).ToList();
        ExecutorProcess? restarted = null;
        try
        {
            scenario.Executor.Kill();
            Assert.All(pids, pid => Assert.True(FunctionExecutorProcessTable.IsAlive(pid), $"FE {pid} died with the executor; nothing to reap"));

            restarted = await scenario.StartExecutorAsync(scenario.Executor.CachePath);

            // Reaping happens before the executor reports ready.
            Assert.All(pids, pid => Assert.False(FunctionExecutorProcessTable.IsAlive(pid), $"orphan FE {pid} survived the restart"));
            Assert.All(fes, fe => Assert.Empty(FunctionExecutorProcessTable.Find(fe.Id)));
            Assert.Empty(Directory.GetFiles(Path.Combine(scenario.Executor.CachePath, "fe-processes"), "*.json"));
            Assert.Contains("killed 2 function executor processes left by a previous executor process", restarted.Output, StringComparison.Ordinal);
        }
        finally
        {
            if (restarted is not null)
            {
                await restarted.DisposeAsync();
            }

            FunctionExecutorProcessTable.KillLeftoversOf(scenario.ExecutorId);
        }
    }
}

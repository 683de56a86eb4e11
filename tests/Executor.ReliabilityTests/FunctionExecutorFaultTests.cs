using Executor.Protocol.ServerV1;
using Executor.ReliabilityTests.Infrastructure;
using Executor.TestHost;
using Executor.Testing;
using TestFunctionExecutor;

namespace Executor.ReliabilityTests;

/// <summary>
/// Every way an FE can go wrong, at the same time on one executor: each ends with its defined termination and failure
/// reason, and afterwards nothing is left (process, pid record, work directory, listening port).
/// </summary>
public abstract class FunctionExecutorFaultTests<TProtocols>
    where TProtocols : IProtocols
{
    [Fact]
    public async Task FaultyFunctionExecutorsEndWithTheirReasonsAndLeaveNoProcessFileOrPortBehind()
    {
        await using var scenario = await ExecutorScenario.StartAsync(protocols: TProtocols.Combination);
        var server = scenario.Server;
        try
        {
            var crash = scenario.AddFunctionExecutor(TestFunctions.Crash, application: "crash");
            var hang = scenario.AddFunctionExecutor(TestFunctions.Hang, allocationTimeoutMs: 2000, application: "hang");
            var garbage = scenario.AddFunctionExecutor(TestFunctions.Combine(TestFunctions.Echo, TestFunctions.GarbageWatch), application: "garbage");
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
            await server.WaitForStatusAsync(garbage.Id, FunctionExecutorStatus.Running);
            var pids = Host.FunctionExecutorPids(scenario.ExecutorId);
            var ports = Host.ListeningPorts(pids);
            Assert.NotEmpty(ports);

            var crashed = scenario.AddAllocation(crash);
            var hung = scenario.AddAllocation(hang);
            var slowOk = scenario.AddAllocation(slow);
            var garbled = scenario.AddAllocation(garbage);

            var crashedResult = await server.WaitForResultAsync(crashed.AllocationId, Host.Patience);
            Assert.Equal(AllocationFailureReason.FunctionError, crashedResult.FailureReason);
            Assert.Equal(AllocationFailureReason.FunctionTimeout, (await server.WaitForResultAsync(hung.AllocationId, Host.Patience)).FailureReason);

            // Bytes on the state stream that are not a protobuf message: the FE is in an undefined state, as upstream decides.
            var garbledResult = await server.WaitForResultAsync(garbled.AllocationId, Host.Patience);
            Assert.Equal(AllocationOutcomeCode.Failure, garbledResult.OutcomeCode);
            Assert.Equal(AllocationFailureReason.FunctionError, garbledResult.FailureReason);
            Assert.Equal(AllocationOutcomeCode.Success, (await server.WaitForResultAsync(slowOk.AllocationId, Host.Patience)).OutcomeCode);
            Assert.Equal(AllocationFailureReason.StartupFailedFunctionError, (await server.WaitForResultAsync(initCrashAllocation.AllocationId, Host.Patience)).FailureReason);
            Assert.Equal(AllocationFailureReason.StartupFailedFunctionTimeout, (await server.WaitForResultAsync(initTimeoutAllocation.AllocationId, Host.Patience)).FailureReason);

            var expected = new (FunctionExecutorDescription Fe, FunctionExecutorTerminationReason Reason)[]
            {
                (crash, FunctionExecutorTerminationReason.Unhealthy),
                (hang, FunctionExecutorTerminationReason.FunctionTimeout),
                (garbage, FunctionExecutorTerminationReason.Unhealthy),
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
            Assert.All(new[] { crashed, hung, slowOk, garbled, initCrashAllocation, initTimeoutAllocation }, a => Assert.Equal(0, server.GetReportStats(a.AllocationId).DuplicateCount));
            Assert.Equal(200, (await scenario.Executor.GetAsync("/monitoring/startup")).Status);
        }
        finally
        {
            Host.KillFunctionExecutorsOf(scenario.ExecutorId);
        }
    }
}

/// <summary><see cref="FunctionExecutorFaultTests{TProtocols}"/> on the diagonal: v1 with FE 0.1.2, v2 with FE 0.1.3.</summary>
public static class FunctionExecutorFaultTests
{
    public sealed class V1Fe012 : FunctionExecutorFaultTests<Protocols.V1Fe012>;

    public sealed class V2Fe013 : FunctionExecutorFaultTests<Protocols.V2Fe013>;
}

/// <summary>
/// An FE port taken by another process. FE process launch does not depend on the protocols: v1 with FE 0.1.2.
/// </summary>
public sealed class FunctionExecutorPortTests
{
    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task AnFePortTakenByAnotherProcessIsRetriedOnAnotherPortAndThatProcessIsLeftAlone()
    {
        using var temp = new TempDirectory("executor-reliability-port");
        var squatterPidFile = temp.Combine("squatter.pid");
        var wrapper = temp.Combine("fe-wrapper.sh");

        // The FE command is a wrapper that, on its first launch only, has another process (in its own session, so not part
        // of the FE's process group) take the FE's port just before the FE binds it.
        await File.WriteAllTextAsync(wrapper, $$"""
            #!/bin/sh
            port=""; prev=""
            for arg in "$@"; do
              if [ "$prev" = "--address" ]; then port="${arg##*:}"; fi
              prev="$arg"
            done
            if mkdir "{{temp.Combine("squatted")}}" 2>/dev/null; then
              setsid perl -MIO::Socket::INET -e '$s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => $ARGV[0], Listen => 5, ReuseAddr => 1) or die "squatter: $!"; open(my $f, ">", $ARGV[1]) or die; print $f $$; close $f; sleep 600' "$port" "{{squatterPidFile}}" </dev/null >/dev/null 2>&1 &
              i=0
              while [ ! -s "{{squatterPidFile}}" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
            fi
            exec "{{RepositoryPaths.TestFunctionExecutor}}" "$@"
            """);
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        await using var scenario = await ExecutorScenario.StartAsync(executorArguments: ["--function-executor-command", wrapper], protocols: ProtocolCombination.V1Fe012);
        var server = scenario.Server;
        var squatter = 0;
        try
        {
            var fe = scenario.AddFunctionExecutor(TestFunctions.Echo, application: "port-taken");
            await server.WaitForStatusAsync(fe.Id, FunctionExecutorStatus.Running);
            var result = await server.WaitForResultAsync(scenario.AddAllocation(fe).AllocationId, Host.Patience);
            Assert.Equal(AllocationOutcomeCode.Success, result.OutcomeCode);

            // The first attempt lost its port: detected (held by another process, or the FE exited unable to bind), retried.
            squatter = int.Parse(await File.ReadAllTextAsync(squatterPidFile), System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(
                scenario.Executor.Output.Contains("is held by another process; killing the FE and retrying with another port (attempt 1/", StringComparison.Ordinal)
                || scenario.Executor.Output.Contains("before listening on port", StringComparison.Ordinal),
                "the lost port was detected and retried");

            // The process that took the port is not ours to kill; the FE's own processes are gone once it is removed.
            server.RemoveFunctionExecutor(fe.Id);
            await Host.AssertNoFunctionExecutorLeftoversAsync(scenario.ExecutorId, scenario.Executor.CachePath);
            Assert.True(Host.IsAlive(squatter), "the process holding the port was left alone");
            Assert.Equal(200, (await scenario.Executor.GetAsync("/monitoring/startup")).Status);
        }
        finally
        {
            Host.KillFunctionExecutorsOf(scenario.ExecutorId);
            if (squatter > 0 && Host.IsAlive(squatter))
            {
                System.Diagnostics.Process.GetProcessById(squatter).Kill();
            }
        }
    }
}

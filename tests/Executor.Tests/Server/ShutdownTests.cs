using System.Diagnostics;
using Executor.Protocol.ServerV1;
using Executor.TestHost;
using Executor.Testing;
using TestFunctionExecutor;
using Xunit;

namespace Executor.Tests.Server;

/// <summary>SIGTERM on a real executor process: STOPPED reported, FE processes gone, exit code 0.</summary>
public abstract class ShutdownTests<TProtocols>
    where TProtocols : IProtocols
{
    [Fact]
    public async Task SigtermReportsStoppedKillsFunctionExecutorsAndExitsZero()
    {
        await using var scenario = await ExecutorScenario.StartAsync(protocols: TProtocols.Combination);
        var server = scenario.Server;
        var fe1 = scenario.AddFunctionExecutor(TestFunctions.Hang, application: "one");
        var fe2 = scenario.AddFunctionExecutor(TestFunctions.Echo, application: "two");
        var running = (await server.WaitForFunctionExecutorStatusAsync(fe1.Id, FunctionExecutorStatus.Running, TimeSpan.FromSeconds(60))).Sequence;
        running = Math.Max(running, (await server.WaitForFunctionExecutorStatusAsync(fe2.Id, FunctionExecutorStatus.Running, TimeSpan.FromSeconds(60))).Sequence);
        var hung = scenario.AddAllocation(fe1);
        await Eventually.TrueAsync(async () => (await scenario.Executor.GetAsync("/state/desired")).Body.Contains(hung.AllocationId, StringComparison.Ordinal), TimeSpan.FromSeconds(20), "allocation received");
        var fePids = ChildPids(scenario.Executor.ProcessId);
        Assert.NotEmpty(fePids);

        var exitCode = await scenario.Executor.StopAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(0, exitCode);
        var stopped = await server.WaitForReportAsync(r => r.ExecutorStatus == ExecutorStatus.Stopped, TimeSpan.FromSeconds(10), afterSequence: running);
        Assert.Empty(stopped.FunctionExecutorStates);
        await server.WaitForDeregistrationAsync(scenario.ExecutorId, TimeSpan.FromSeconds(10));
        foreach (var pid in fePids)
        {
            await Eventually.TrueAsync(() => !Directory.Exists($"/proc/{pid}"), TimeSpan.FromSeconds(10), $"FE process {pid} gone");
        }
    }

    private static List<int> ChildPids(int parent)
    {
        // FEs run in their own sessions but remain children of the executor process.
        var children = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) == parent && File.ReadAllText(Path.Combine(dir, "cmdline")).Contains("TestFunctionExecutor", StringComparison.Ordinal))
                {
                    children.Add(pid);
                }
            }
            catch (IOException)
            {
            }
        }

        return children;
    }
}

/// <summary><see cref="ShutdownTests{TProtocols}"/> on the diagonal: v1 with FE 0.1.2, v2 with FE 0.1.3.</summary>
public static class ShutdownTests
{
    public sealed class V1Fe012 : ShutdownTests<Protocols.V1Fe012>;

    public sealed class V2Fe013 : ShutdownTests<Protocols.V2Fe013>;
}

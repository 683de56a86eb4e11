using Executor.Protocol.ServerV1;
using Executor.TestHost;
using FakeIndexifyServer;
using TestFunctionExecutor;
using Xunit;

namespace Executor.Tests.Server;

/// <summary>
/// Registration, periodic and event-driven reports, and the content-derived state_hash, against the fake Server:
/// Server protocol v1 (v2 registers by full_state and has no hash or clock; ProtocolV2Tests and ProtocolNegotiationTests).
/// </summary>
public sealed class RegistrationAndReportTests
{
    [Fact]
    public async Task FirstReportRegistersWithIdentityLabelsAllowlistAndResources()
    {
        await using var scenario = await ExecutorScenario.StartAsync(protocols: ProtocolCombination.V1Fe012, executorArguments:
        [
            "-f", "ns:app:fn", "--function", "ns:other:g:v7", "-l", "region=eu", "--label", "sku=cpu", "--label", "os=overridden",
            "--catalog-entry-name", "cpu-small",
        ]);
        var first = scenario.Server.Reports.First(r => r.Succeeded);
        var state = first.Request.ExecutorState;

        Assert.Equal(21, state.ExecutorId.Length);
        Assert.Equal(ExecutorStatus.Running, state.Status);
        Assert.Equal(Environment.MachineName, state.Hostname);
        Assert.NotEqual("0.2.0", state.Version);
        Assert.NotNull(first.Request.ExecutorUpdate);
        Assert.Equal(64, state.StateHash.Length);
        Assert.Equal("eu", state.Labels["region"]);
        Assert.Equal("cpu", state.Labels["sku"]);
        Assert.Equal("Linux", state.Labels["os"]);
        Assert.True(state.Labels.ContainsKey("architecture"));
        Assert.Equal("cpu-small", state.CatalogEntryName);
        Assert.Equal(2, state.AllowedFunctions.Count);
        Assert.False(state.AllowedFunctions[0].HasApplicationVersion);
        Assert.Equal("v7", state.AllowedFunctions[1].ApplicationVersion);
        Assert.True(state.TotalFunctionExecutorResources.CpuCount > 0);
        Assert.True(state.TotalFunctionExecutorResources.MemoryBytes > 0);
        Assert.Equal(0UL, state.TotalFunctionExecutorResources.MemoryBytes % (1024 * 1024));
        Assert.Null(state.TotalFunctionExecutorResources.Gpu);
    }

    [Fact]
    public async Task HashIsStableWhileNothingChangesAndReportsGoOutAtOnceWhenSomethingDoes()
    {
        // A long interval proves the change-triggered report does not wait for the timer.
        await using var scenario = await ExecutorScenario.StartAsync(protocols: ProtocolCombination.V1Fe012, environment: new Dictionary<string, string> { ["EXECUTOR__ReportInterval"] = "00:00:01" });
        var server = scenario.Server;
        // Once the first desired state was applied (its clock is echoed; registration made it > 0), nothing changes any more.
        var early = await server.WaitForReportAsync(r => r.Succeeded && r.ServerClock > 0, TimeSpan.FromSeconds(20));
        var next = await server.WaitForReportAsync(r => r.Succeeded, TimeSpan.FromSeconds(20), afterSequence: early.Sequence);
        Assert.Equal(early.StateHash, next.StateHash);
        Assert.Equal(early.ServerClock, next.ServerClock);

        var fe = scenario.AddFunctionExecutor(TestFunctions.Echo);
        var pending = await server.WaitForReportAsync(r => r.FunctionExecutorStates.Any(s => s.Description.Id == fe.Id), TimeSpan.FromSeconds(20), afterSequence: next.Sequence);
        Assert.NotEqual(next.StateHash, pending.StateHash);
        var echoed = pending.FunctionExecutorStates.Single(s => s.Description.Id == fe.Id).Description;
        Assert.Equal(fe, echoed);

        var running = await server.WaitForReportAsync(r => r.FunctionExecutorStates.Any(s => s.Description.Id == fe.Id && s.Status == FunctionExecutorStatus.Running), TimeSpan.FromSeconds(30));
        Assert.NotEqual(pending.StateHash, running.StateHash);
    }

    [Fact]
    public async Task TwoExecutorsOnOneHostRegisterSeparatelyAndBothRunWork()
    {
        await using var scenario = await ExecutorScenario.StartAsync(protocols: ProtocolCombination.V1Fe012);
        await using var second = await ExecutorProcess.StartAsync(scenario.Server.Address, System.IO.Path.Combine(scenario.Root, "cache-2"));
        var other = await scenario.Server.WaitForAsync(s => s.Executors.FirstOrDefault(e => e.IsRegistered && e.ExecutorId != scenario.ExecutorId), TimeSpan.FromSeconds(60), "second executor registered");

        var fe1 = scenario.AddFunctionExecutor(TestFunctions.Echo, application: "first");
        var code = scenario.Server.Blobs.Put("ns/second/code/1.zip", "PK-second"u8, "application/zip");
        var fe2 = scenario.Server.AddFunctionExecutor(other.ExecutorId, scenario.Server.NewFunctionExecutor("ns", "second", TestFunctions.Echo, codePayload: code));
        var a1 = scenario.AddAllocation(fe1);
        var a2 = scenario.AddAllocation(fe2);
        Assert.Equal(AllocationOutcomeCode.Success, (await scenario.Server.WaitForResultAsync(a1.AllocationId, TimeSpan.FromSeconds(60))).OutcomeCode);
        Assert.Equal(AllocationOutcomeCode.Success, (await scenario.Server.WaitForResultAsync(a2.AllocationId, TimeSpan.FromSeconds(60))).OutcomeCode);
        Assert.Contains(scenario.Server.Reports, r => r.ExecutorId == other.ExecutorId && r.AllocationResults.Any(x => x.AllocationId == a2.AllocationId));
    }
}

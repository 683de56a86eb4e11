using Executor.FunctionExecutors.Tests.Infrastructure;
using Executor.Protocol.ServerV1;
using Executor.TestHost;
using Executor.Testing;
using TestFunctionExecutor;

namespace Executor.FunctionExecutors.Tests;

/// <summary>An FE from placement to removal: spawned, initialized, RUNNING, then killed and gone from the report.</summary>
public abstract class LifecycleTests<TProtocols>(SharedExecutorFixture<TProtocols> fixture)
    where TProtocols : IProtocols
{
    [Fact]
    public async Task FunctionExecutorStartsRunsAndLeavesNoProcessOnceRemoved()
    {
        var scenario = fixture.Scenario;
        var server = scenario.Server;
        var fe = scenario.AddFunctionExecutor(TestFunctions.Echo, application: "lifecycle");

        await server.WaitForStatusAsync(fe.Id, FunctionExecutorStatus.Running);
        var pid = Assert.Single(FunctionExecutorProcessTable.Find(fe.Id));
        var allocation = scenario.AddAllocation(fe);
        Assert.Equal(AllocationOutcomeCode.Success, (await server.WaitForResultAsync(allocation.AllocationId, ReportLog.Patience)).OutcomeCode);
        var records = Path.Combine(scenario.Executor.CachePath, "fe-processes");
        Assert.Contains(Directory.GetFiles(records), f => File.ReadAllText(f).Contains(fe.Id, StringComparison.Ordinal));

        var removedAt = server.LastSequence;
        server.RemoveFunctionExecutor(fe.Id);
        await server.WaitForFunctionExecutorGoneAsync(fe.Id, ReportLog.Patience);

        // The FE left the report only after its process was gone (and its pid record with it).
        Assert.False(FunctionExecutorProcessTable.IsAlive(pid), $"FE process {pid} outlived its removal");
        Assert.Empty(FunctionExecutorProcessTable.Find(fe.Id));
        Assert.DoesNotContain(Directory.GetFiles(records), f => File.ReadAllText(f).Contains(fe.Id, StringComparison.Ordinal));

        // A removal is not a failure: the FE is simply reported gone.
        await scenario.AssertRemovalReportedAsGoneAsync(fe.Id, removedAt, ReportLog.Patience);
    }

    [Fact]
    public async Task FunctionExecutorGetsACleanEnvironmentPlusPassthroughAndItsOutputIsKept()
    {
        var scenario = fixture.Scenario;
        var fe = scenario.AddFunctionExecutor(TestFunctions.Env, application: "env");

        var environment = await scenario.RunEnvAsync(fe);

        Assert.Equal(fixture.PassedValue, environment.GetValueOrDefault(SharedExecutorFixture.PassedVariable));
        Assert.False(environment.ContainsKey(SharedExecutorFixture.HiddenVariable), "a variable that is not passed through reached the FE");
        Assert.DoesNotContain(environment.Keys, k => k.StartsWith("EXECUTOR__", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(environment.Keys, k => k.StartsWith("HOSTRESOURCES__", StringComparison.OrdinalIgnoreCase));
        Assert.True(environment.ContainsKey("PATH"));
        Assert.False(environment.ContainsKey("CUDA_VISIBLE_DEVICES"), "a host without GPUs sets no GPU visibility");

        // The test host's FE protocol reached the FE through the passthrough list, next to the fixture's own slots.
        Assert.Equal(scenario.Protocols.FunctionExecutor, environment.GetValueOrDefault(TestFunctions.ProtocolVariable));

        // stdout and stderr of the FE land in its diagnostics log under the cache path.
        var logs = Path.Combine(scenario.Executor.CachePath, "fe-logs");
        var log = Assert.Single(Directory.GetFiles(logs), f => Path.GetFileName(f).Contains(fe.Id, StringComparison.Ordinal));
        await Eventually.TrueAsync(
            () => ReadShared(log).Contains($"test-function-executor[{fe.Id}]", StringComparison.Ordinal) && ReadShared(log).Contains($", protocol {scenario.Protocols.FunctionExecutor}", StringComparison.Ordinal),
            ReportLog.Patience,
            "the FE's own output is in its diagnostics log");
    }

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

/// <summary><see cref="LifecycleTests{TProtocols}"/> on the diagonal, each on the shared executor of its combination.</summary>
public static class LifecycleTests
{
    [Collection(SharedExecutorFixture.V1Fe012)]
    public sealed class V1Fe012(SharedExecutorFixture<Protocols.V1Fe012> fixture) : LifecycleTests<Protocols.V1Fe012>(fixture);

    [Collection(SharedExecutorFixture.V2Fe013)]
    public sealed class V2Fe013(SharedExecutorFixture<Protocols.V2Fe013> fixture) : LifecycleTests<Protocols.V2Fe013>(fixture);
}

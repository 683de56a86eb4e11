using Executor.FunctionExecutors.Tests.Infrastructure;
using Executor.Protocol.ServerV1;
using Executor.TestHost;
using Executor.Testing;
using TestFunctionExecutor;

namespace Executor.FunctionExecutors.Tests;

/// <summary>
/// An executor whose nvidia-smi is a script printing the real H100 capture plus a second H100 (same format, another
/// index and uuid): the host offers two H100 GPUs. GPU assignment does not depend on the protocols: v1 with FE 0.1.2.
/// </summary>
public sealed class TwoGpuFixture : ScenarioFixture
{
    public const string SecondUuid = "GPU-00000000-1111-2222-3333-444444444444";

    private readonly TempDirectory _bin = new("fake-nvidia-smi");

    public TwoGpuFixture()
        : base(ProtocolCombination.V1Fe012)
    {
        var fixture = RepositoryPaths.Fixture("nvidia-smi", "nvidia-smi-query-h100.csv");
        var real = File.ReadAllText(fixture).Trim();
        FirstUuid = real.Split(',')[2].Trim();
        var second = $"1, {real.Split(',')[1].Trim()}, {SecondUuid}";
        Script = _bin.Combine("nvidia-smi");
        File.WriteAllText(Script, $"#!/bin/sh\ncat <<'EOF'\n{real}\n{second}\nEOF\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    public string FirstUuid { get; }

    public string Script { get; }

    protected override IReadOnlyDictionary<string, string>? Environment => new Dictionary<string, string>
    {
        ["HOSTRESOURCES__NVIDIASMIPATH"] = Script,
    };

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _bin.Dispose();
    }
}

/// <summary>Each GPU FE gets its own device through CUDA_VISIBLE_DEVICES / NVIDIA_VISIBLE_DEVICES; an FE that cannot get one is refused.</summary>
public sealed class GpuAssignmentTests(TwoGpuFixture fixture) : IClassFixture<TwoGpuFixture>
{
    private static readonly GPUResources OneH100 = new() { Count = 1, Model = GPUModel.NvidiaH10080Gb };

    [Fact]
    public async Task FunctionExecutorsGetDistinctGpusAndOneTooManyFailsToStart()
    {
        var scenario = fixture.Scenario;
        var server = scenario.Server;

        // The host offers what nvidia-smi listed.
        var report = await server.WaitForReportAsync(r => r.Succeeded, ReportLog.Patience);
        foreach (var resources in new[] { report.Request.ExecutorState.TotalResources, report.Request.ExecutorState.TotalFunctionExecutorResources })
        {
            Assert.Equal(2u, resources.Gpu.Count);
            Assert.Equal(GPUModel.NvidiaH10080Gb, resources.Gpu.Model);
        }

        var first = scenario.AddFunctionExecutor(TestFunctions.Env, application: "gpu-a", gpu: OneH100);
        var second = scenario.AddFunctionExecutor(TestFunctions.Env, application: "gpu-b", gpu: OneH100);
        var cpuOnly = scenario.AddFunctionExecutor(TestFunctions.Env, application: "gpu-none");
        var firstEnv = await scenario.RunEnvAsync(first);
        var secondEnv = await scenario.RunEnvAsync(second);
        var cpuOnlyEnv = await scenario.RunEnvAsync(cpuOnly);

        var firstGpu = firstEnv["CUDA_VISIBLE_DEVICES"];
        var secondGpu = secondEnv["CUDA_VISIBLE_DEVICES"];
        Assert.Equal(new[] { fixture.FirstUuid, TwoGpuFixture.SecondUuid }.Order(StringComparer.Ordinal), new[] { firstGpu, secondGpu }.Order(StringComparer.Ordinal));
        Assert.Equal(firstGpu, firstEnv["NVIDIA_VISIBLE_DEVICES"]);
        Assert.Equal(secondGpu, secondEnv["NVIDIA_VISIBLE_DEVICES"]);

        // On a GPU host an FE that asked for none sees none.
        Assert.Equal(string.Empty, cpuOnlyEnv["CUDA_VISIBLE_DEVICES"]);
        Assert.Equal("none", cpuOnlyEnv["NVIDIA_VISIBLE_DEVICES"]);

        // Both GPUs are taken: a third GPU FE is refused before any process is spawned.
        var third = scenario.AddFunctionExecutor(TestFunctions.Env, application: "gpu-c", gpu: OneH100);
        var terminated = await server.WaitForStatusAsync(third.Id, FunctionExecutorStatus.Terminated);
        Assert.Equal(FunctionExecutorTerminationReason.StartupFailedInternalError, ReportLog.StateOf(terminated, third.Id)!.TerminationReason);
        Assert.Contains($"{third.Id} does not fit on this host: requested 1 GPU(s) of model H100_80GB, 0 free", scenario.Executor.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(Directory.GetFiles(Path.Combine(scenario.Executor.CachePath, "fe-logs")), f => f.Contains(third.Id, StringComparison.Ordinal));

        // Removing the first FE frees its GPU for the next one.
        server.RemoveFunctionExecutor(first.Id);
        await server.WaitForFunctionExecutorGoneAsync(first.Id, ReportLog.Patience);
        var fourth = scenario.AddFunctionExecutor(TestFunctions.Env, application: "gpu-d", gpu: OneH100);
        Assert.Equal(firstGpu, (await scenario.RunEnvAsync(fourth))["CUDA_VISIBLE_DEVICES"]);
    }
}

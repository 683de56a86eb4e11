using Executor.Grains.Tests.Infrastructure;
using Executor.HostResources;
using Executor.Model;
using TestFunctionExecutor;
using Xunit.Abstractions;
using GpuModel = Executor.Model.GpuModel;

namespace Executor.Grains.Tests;

/// <summary>FunctionExecutorGrain startup: each way it can fail ends in TERMINATED with its own reason, blaming what waited on it.</summary>
public sealed class FunctionExecutorStartupTests(ITestOutputHelper output)
{
    [Theory]
    [MemberData(nameof(FeProtocols.Both), MemberType = typeof(FeProtocols))]
    public async Task AConstructorErrorIsStartupFailedFunctionErrorWithItsMessageAndFailsEveryQueuedAllocation(string protocol)
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var fe = executor.NewFunctionExecutor(TestFunctions.InitError, protocol);
        var first = executor.NewAllocation(fe);
        var second = executor.NewAllocation(fe);

        // Placed together with the FE: queued before its startup begins, so its failure blames them.
        await executor.ApplyAsync(executor.Snapshot([fe], [first, second]));

        var terminated = await executor.WaitForStateAsync(fe.Id, FunctionExecutorStatus.Terminated);
        Assert.Equal(FunctionExecutorTerminationReason.StartupFailedFunctionError, terminated.TerminationReason);
        Assert.Equal([first.AllocationId, second.AllocationId], terminated.AllocationIdsCausedTermination);
        Assert.StartsWith("initialize answered Failure FunctionError", terminated.TerminationMessage, StringComparison.Ordinal);
        if (protocol == TestFunctions.Protocol013)
        {
            Assert.EndsWith(": " + TestFunctions.InitErrorMessage, terminated.TerminationMessage, StringComparison.Ordinal);
        }

        foreach (var allocation in new[] { first, second })
        {
            var result = await executor.WaitForResultAsync(allocation.AllocationId);
            Assert.Equal(AllocationFailureReason.StartupFailedFunctionError, result.FailureReason);
        }

        AssertResultsAcknowledgedBeforeTermination(executor, fe, first, second);
        Assert.DoesNotContain(executor.Server.Accepted, r => r.FunctionExecutors.Any(s => s.FunctionExecutorId == fe.Id && s.Status == FunctionExecutorStatus.Running));
        var process = executor.Launcher.ProcessesOf(fe.Id).Single();
        Assert.True(process.HasExited);
        Assert.DoesNotContain(process.Calls, c => c.Method == "create_allocation");
    }

    [Fact]
    public async Task AnInitializeThatOutlivesItsTimeoutIsStartupFailedFunctionTimeout()
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var fe = executor.NewFunctionExecutor(TestFunctions.InitHang, initializationTimeoutMs: 300);
        var queued = executor.NewAllocation(fe);

        await executor.ApplyAsync(executor.Snapshot([fe], [queued]));

        var terminated = await executor.WaitForStateAsync(fe.Id, FunctionExecutorStatus.Terminated);
        Assert.Equal(FunctionExecutorTerminationReason.StartupFailedFunctionTimeout, terminated.TerminationReason);
        Assert.Equal("initialize exceeded 300 ms", terminated.TerminationMessage);
        Assert.Equal([queued.AllocationId], terminated.AllocationIdsCausedTermination);
        Assert.Equal(AllocationFailureReason.StartupFailedFunctionTimeout, (await executor.WaitForResultAsync(queued.AllocationId)).FailureReason);
        AssertResultsAcknowledgedBeforeTermination(executor, fe, queued);
        Assert.True(executor.Launcher.ProcessesOf(fe.Id).Single().HasExited);
    }

    [Theory]
    [MemberData(nameof(FeProtocols.Both), MemberType = typeof(FeProtocols))]
    public async Task AProcessThatDiesDuringInitializeIsStartupFailedFunctionError(string protocol)
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var fe = executor.NewFunctionExecutor(TestFunctions.InitCrash, protocol);
        var queued = executor.NewAllocation(fe);

        await executor.ApplyAsync(executor.Snapshot([fe], [queued]));

        var terminated = await executor.WaitForStateAsync(fe.Id, FunctionExecutorStatus.Terminated);
        Assert.Equal(FunctionExecutorTerminationReason.StartupFailedFunctionError, terminated.TerminationReason);
        Assert.Equal(AllocationFailureReason.StartupFailedFunctionError, (await executor.WaitForResultAsync(queued.AllocationId)).FailureReason);
        var exit = await executor.Launcher.ProcessesOf(fe.Id).Single().Exited;
        Assert.Equal(TestFunctions.CrashExitCode, exit.ExitCode);
    }

    [Fact]
    public async Task AnUnsupportedFunctionExecutorVersionIsStartupFailedInternalErrorNamingTheVersion()
    {
        await using var executor = await ExecutorCluster.StartAsync(output, o => o.FunctionExecutorProtocol = "9.9");
        var fe = executor.NewFunctionExecutor(TestFunctions.Echo);
        var queued = executor.NewAllocation(fe);

        await executor.ApplyAsync(executor.Snapshot([fe], [queued]));

        var terminated = await executor.WaitForStateAsync(fe.Id, FunctionExecutorStatus.Terminated);
        Assert.Equal(FunctionExecutorTerminationReason.StartupFailedInternalError, terminated.TerminationReason);
        Assert.Contains("\"9.9\"", terminated.TerminationMessage, StringComparison.Ordinal);
        Assert.Equal(AllocationFailureReason.StartupFailedInternalError, (await executor.WaitForResultAsync(queued.AllocationId)).FailureReason);

        // Never driven: not even initialized.
        var process = executor.Launcher.ProcessesOf(fe.Id).Single();
        Assert.DoesNotContain(process.Calls, c => c.Method == "initialize");
        Assert.True(process.HasExited);
    }

    [Fact]
    public async Task AFunctionExecutorTheHostCannotFitIsRefusedWithTheShortfallAndOthersStillStart()
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var tooBig = executor.NewFunctionExecutor(TestFunctions.Echo, memoryBytes: 32 * FixedHostResources.GiB);
        var fits = executor.NewFunctionExecutor(TestFunctions.Echo + "+fits");
        var queued = executor.NewAllocation(tooBig);

        await executor.ApplyAsync(executor.Snapshot([tooBig, fits], [queued]));

        var terminated = await executor.WaitForStateAsync(tooBig.Id, FunctionExecutorStatus.Terminated);
        Assert.Equal(FunctionExecutorTerminationReason.StartupFailedInternalError, terminated.TerminationReason);
        Assert.Contains("host resources unavailable", terminated.TerminationMessage, StringComparison.Ordinal);
        Assert.Contains("memory", terminated.TerminationMessage, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(AllocationFailureReason.StartupFailedInternalError, (await executor.WaitForResultAsync(queued.AllocationId)).FailureReason);
        Assert.Empty(executor.Launcher.ProcessesOf(tooBig.Id));
        await executor.WaitForRunningAsync(fits);
    }

    [Fact]
    public async Task FunctionExecutorsGetDistinctGpusAndOneTooManyIsRefused()
    {
        var gpus = new[]
        {
            new GpuDevice(0, "NVIDIA H100 80GB HBM3", "GPU-aaaa", HostResources.GpuModel.H100_80GB),
            new GpuDevice(1, "NVIDIA H100 80GB HBM3", "GPU-bbbb", HostResources.GpuModel.H100_80GB),
        };
        await using var executor = await ExecutorCluster.StartAsync(output, o => o.Host = FixedHostResources.Default with { Gpus = gpus });
        var gpu = new GpuRequest(1, GpuModel.H100_80GB);
        var a = executor.NewFunctionExecutor(TestFunctions.Echo + "+a", gpu: gpu);
        var b = executor.NewFunctionExecutor(TestFunctions.Echo + "+b", gpu: gpu);
        var c = executor.NewFunctionExecutor(TestFunctions.Echo + "+c", gpu: gpu);
        var none = executor.NewFunctionExecutor(TestFunctions.Echo + "+none");

        await executor.ApplyAsync(executor.Snapshot([a, b]));
        var processA = await executor.WaitForRunningAsync(a);
        var processB = await executor.WaitForRunningAsync(b);
        await executor.ApplyAsync(executor.Snapshot([a, b, c, none]));

        var refused = await executor.WaitForStateAsync(c.Id, FunctionExecutorStatus.Terminated);
        Assert.Equal(FunctionExecutorTerminationReason.StartupFailedInternalError, refused.TerminationReason);
        var processNone = await executor.WaitForRunningAsync(none);

        var visible = new[] { processA, processB }.Select(p => p.Request.ExtraEnvironment["CUDA_VISIBLE_DEVICES"]).Order().ToList();
        Assert.Equal(["GPU-aaaa", "GPU-bbbb"], visible);
        Assert.All([processA, processB], p => Assert.Equal(p.Request.ExtraEnvironment["CUDA_VISIBLE_DEVICES"], p.Request.ExtraEnvironment["NVIDIA_VISIBLE_DEVICES"]));
        Assert.Contains("1 GPU(s) of model H100_80GB, 0 free", refused.TerminationMessage, StringComparison.Ordinal);
        Assert.Empty(executor.Launcher.ProcessesOf(c.Id));

        // On a GPU host an FE that asked for none sees none.
        Assert.Equal(string.Empty, processNone.Request.ExtraEnvironment["CUDA_VISIBLE_DEVICES"]);
        Assert.Equal("none", processNone.Request.ExtraEnvironment["NVIDIA_VISIBLE_DEVICES"]);

        // Reported with the host's GPUs.
        Assert.Equal(new GpuRequest(2, GpuModel.H100_80GB), executor.Server.Accepted[^1].TotalResources.Gpu);

        // Removing an FE frees its GPU (once its process is gone, which is when the Server sees it vanish) for the next one.
        await executor.ApplyAsync(executor.Snapshot([b, c, none]));
        await executor.WaitUntilGoneAsync(a.Id);
        var d = executor.NewFunctionExecutor(TestFunctions.Echo + "+d", gpu: gpu);
        await executor.ApplyAsync(executor.Snapshot([b, c, none, d]));
        var processD = await executor.WaitForRunningAsync(d);
        Assert.Equal(processA.Request.ExtraEnvironment["CUDA_VISIBLE_DEVICES"], processD.Request.ExtraEnvironment["CUDA_VISIBLE_DEVICES"]);
    }

    [Fact]
    public async Task ASlowInitializeWithinItsTimeoutStartsTheFunctionExecutor()
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var fe = executor.NewFunctionExecutor(TestFunctions.Combine(TestFunctions.InitSlow(300), TestFunctions.Echo), initializationTimeoutMs: 30_000);
        var allocation = executor.NewAllocation(fe);

        await executor.ApplyAsync(executor.Snapshot([fe], [allocation]));

        Assert.Equal(OutcomeCode.Success, (await executor.WaitForResultAsync(allocation.AllocationId)).Outcome);
        Assert.DoesNotContain(executor.Server.Accepted, r => r.FunctionExecutors.Any(s => s.Status == FunctionExecutorStatus.Terminated));
    }

    [Fact]
    public async Task AnFeStartIsRefusedWhileTheCacheFileSystemHasTooLittleFreeSpace()
    {
        // More free space than any file system has.
        await using var executor = await ExecutorCluster.StartAsync(output, o => o.Settings["Executor:MinFreeCacheBytes"] = long.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var fe = executor.NewFunctionExecutor(TestFunctions.Echo);
        var queued = executor.NewAllocation(fe);

        await executor.ApplyAsync(executor.Snapshot([fe], [queued]));

        var terminated = await executor.WaitForStateAsync(fe.Id, FunctionExecutorStatus.Terminated);
        Assert.Equal(FunctionExecutorTerminationReason.StartupFailedInternalError, terminated.TerminationReason);
        // Placed together with the FE, so blamed even though the refusal is instant (it reaches the FE with its start).
        Assert.Equal([queued.AllocationId], terminated.AllocationIdsCausedTermination);
        Assert.Equal(AllocationFailureReason.StartupFailedInternalError, (await executor.WaitForResultAsync(queued.AllocationId)).FailureReason);
        Assert.Empty(executor.Launcher.ProcessesOf(fe.Id));

        // The executor keeps running and reporting.
        Assert.Equal(ExecutorStatus.Running, executor.Server.Accepted[^1].Status);
    }

    [Fact]
    public async Task AProcessThatCannotBeLaunchedIsStartupFailedInternalError()
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var fe = executor.NewFunctionExecutor(TestFunctions.Echo);
        executor.Launcher.FailLaunchesOf(fe.Id, "exited with code 1 before listening");
        var queued = executor.NewAllocation(fe);

        await executor.ApplyAsync(executor.Snapshot([fe], [queued]));

        var terminated = await executor.WaitForStateAsync(fe.Id, FunctionExecutorStatus.Terminated);
        Assert.Equal(FunctionExecutorTerminationReason.StartupFailedInternalError, terminated.TerminationReason);
        Assert.Contains("exited with code 1 before listening", terminated.TerminationMessage, StringComparison.Ordinal);
        Assert.Equal(AllocationFailureReason.StartupFailedInternalError, (await executor.WaitForResultAsync(queued.AllocationId)).FailureReason);
    }

    [Fact]
    public async Task ApplicationCodeIsDownloadedOnceReusedByLaterFunctionExecutorsAndFetchedAgainWhenItsCachedCopyIsCorrupt()
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var first = executor.NewFunctionExecutor(TestFunctions.Echo + "+first");
        var code = first.Application!;
        var source = new Uri(code.Uri).LocalPath;
        var bytes = File.ReadAllBytes(source);
        var cached = Path.Combine(executor.CachePath, "application_cache", ExecutorCluster.Namespace, "app", "1", code.Sha256);

        await executor.ApplyAsync(executor.Snapshot([first]));
        await executor.WaitForRunningAsync(first);
        Assert.Equal(bytes, File.ReadAllBytes(cached));

        // The source is gone: a second FE of the same application version starts from the cache.
        File.Delete(source);
        var second = first with { Id = first.Id + "-second", Function = first.Function with { Function = TestFunctions.Echo + "+second" } };
        await executor.ApplyAsync(executor.Snapshot([first, second]));
        await executor.WaitForRunningAsync(second);

        // A corrupt cached copy (same size) is never used: with no source it cannot start; once the source is back it is fetched again.
        var corrupt = (byte[])bytes.Clone();
        corrupt[0] ^= 0xFF;
        File.WriteAllBytes(cached, corrupt);
        var third = first with { Id = first.Id + "-third", Function = first.Function with { Function = TestFunctions.Echo + "+third" } };
        await executor.ApplyAsync(executor.Snapshot([first, second, third]));
        Assert.Equal(FunctionExecutorTerminationReason.StartupFailedInternalError, (await executor.WaitForStateAsync(third.Id, FunctionExecutorStatus.Terminated)).TerminationReason);

        File.WriteAllBytes(source, bytes);
        var fourth = first with { Id = first.Id + "-fourth", Function = first.Function with { Function = TestFunctions.Echo + "+fourth" } };
        await executor.ApplyAsync(executor.Snapshot([first, second, third, fourth]));
        await executor.WaitForRunningAsync(fourth);
        Assert.Equal(bytes, File.ReadAllBytes(cached));
    }

    [Fact]
    public async Task ApplicationCodeThatDoesNotMatchItsHashIsStartupFailedInternalErrorAndNeverLaunched()
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var fe = executor.NewFunctionExecutor(TestFunctions.Echo);
        fe = fe with { Application = fe.Application! with { Sha256 = new string('0', 64) } };

        await executor.ApplyAsync(executor.Snapshot([fe]));

        var terminated = await executor.WaitForStateAsync(fe.Id, FunctionExecutorStatus.Terminated);
        Assert.Equal(FunctionExecutorTerminationReason.StartupFailedInternalError, terminated.TerminationReason);
        Assert.Contains("application code unavailable", terminated.TerminationMessage, StringComparison.Ordinal);
        Assert.Empty(executor.Launcher.ProcessesOf(fe.Id));
    }

    /// <summary>A v1 Server applies a termination before the results of the same report: the results go out first.</summary>
    private static void AssertResultsAcknowledgedBeforeTermination(ExecutorCluster executor, FunctionExecutorSpec fe, params AllocationSpec[] allocations)
    {
        var accepted = executor.Server.Accepted;
        var terminatedAt = accepted.ToList().FindIndex(r => r.FunctionExecutors.Any(s => s.FunctionExecutorId == fe.Id && s.Status == FunctionExecutorStatus.Terminated));
        Assert.True(terminatedAt >= 0);
        foreach (var allocation in allocations)
        {
            var carriedAt = accepted.ToList().FindIndex(r => r.Results.Any(o => o.AllocationId == allocation.AllocationId));
            Assert.InRange(carriedAt, 0, terminatedAt - 1);
        }
    }
}

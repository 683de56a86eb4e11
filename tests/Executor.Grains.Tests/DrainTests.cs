using Executor.Grains.Tests.Infrastructure;
using Executor.Model;
using TestFunctionExecutor;
using Xunit.Abstractions;

namespace Executor.Grains.Tests;

/// <summary>A drained executor keeps reporting (DRAINED) and finishes what it has, but starts nothing new.</summary>
public sealed class DrainTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ADrainedExecutorReportsDrainedAndStartsNoNewFunctionExecutorOrAllocation()
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var existing = executor.NewFunctionExecutor(TestFunctions.Echo);
        await executor.ApplyAsync(executor.Snapshot([existing]));
        var process = await executor.WaitForRunningAsync(existing);

        await executor.Executor.DrainAsync();
        await executor.WaitForReportAsync(r => r.Status == ExecutorStatus.Drained, "the executor reports DRAINED");

        // New work is answered, never started: a new FE is TERMINATED at once, allocations fail FUNCTION_EXECUTOR_TERMINATED.
        var newcomer = executor.NewFunctionExecutor(TestFunctions.Echo + "+new");
        var onExisting = executor.NewAllocation(existing);
        var onNewcomer = executor.NewAllocation(newcomer);
        await executor.ApplyAsync(executor.Snapshot([existing, newcomer], [onExisting, onNewcomer]));

        var refused = await executor.WaitForStateAsync(newcomer.Id, FunctionExecutorStatus.Terminated);
        Assert.Equal("executor is drained", refused.TerminationMessage);
        Assert.Equal(AllocationFailureReason.FunctionExecutorTerminated, (await executor.WaitForResultAsync(onExisting.AllocationId)).FailureReason);
        Assert.Equal(AllocationFailureReason.FunctionExecutorTerminated, (await executor.WaitForResultAsync(onNewcomer.AllocationId)).FailureReason);
        Assert.Empty(executor.Launcher.ProcessesOf(newcomer.Id));
        Assert.DoesNotContain(process.Calls, c => c.Method == "create_allocation");

        // The FE it had keeps running and is still reported, as DRAINED is.
        var last = executor.Server.Accepted[^1];
        Assert.Equal(ExecutorStatus.Drained, last.Status);
        Assert.Equal(FunctionExecutorStatus.Running, last.FunctionExecutors.Single(s => s.FunctionExecutorId == existing.Id).Status);
        Assert.False(process.HasExited);
    }
}

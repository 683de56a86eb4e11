using Executor.Grains.Tests.Infrastructure;
using Executor.Model;
using Executor.Testing;
using TestFunctionExecutor;
using Xunit.Abstractions;

namespace Executor.Grains.Tests;

/// <summary>
/// A running FE that breaks: health checks, its process dying (crash, OOM kill), timeouts. Each ends in TERMINATED with
/// the exact reason, blaming exactly the allocations that caused it; bystanders are retried elsewhere.
/// </summary>
public sealed class FunctionExecutorTerminationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task AHealthCheckAnsweredUnhealthyTerminatesTheFunctionExecutorUnhealthy()
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var fe = executor.NewFunctionExecutor(TestFunctions.Combine(TestFunctions.Echo, TestFunctions.Unhealthy));
        await executor.ApplyAsync(executor.Snapshot([fe]));
        var process = await executor.WaitForRunningAsync(fe);
        Assert.DoesNotContain(process.Calls, c => c.Method == "check_health");

        // The first check is one health-check interval after it started running.
        await executor.AdvanceAsync(TimeSpan.FromSeconds(5));

        var terminated = await executor.WaitForStateAsync(fe.Id, FunctionExecutorStatus.Terminated);
        Assert.Equal(FunctionExecutorTerminationReason.Unhealthy, terminated.TerminationReason);
        Assert.Contains("scripted unhealthy", terminated.TerminationMessage, StringComparison.Ordinal);
        Assert.Empty(terminated.AllocationIdsCausedTermination);
        Assert.Equal([TimeSpan.Zero], process.Stops);
    }

    [Fact]
    public async Task HealthChecksThatKeepTimingOutTerminateAHungFunctionExecutorUnhealthy()
    {
        await using var executor = await ExecutorCluster.StartAsync(output, o => o.Settings["Executor:HealthCheckTimeout"] = "00:00:00.100");
        var fe = executor.NewFunctionExecutor(TestFunctions.Combine(TestFunctions.Echo, TestFunctions.HangHealth));
        await executor.ApplyAsync(executor.Snapshot([fe]));
        var process = await executor.WaitForRunningAsync(fe);

        // Each check is due one interval after the previous one ended (its 100 ms deadline passed): keep moving the clock.
        await Eventually.TrueAsync(
            async () =>
            {
                await executor.AdvanceAsync(TimeSpan.FromSeconds(5));
                return executor.Server.Accepted[^1].FunctionExecutors.Single().Status == FunctionExecutorStatus.Terminated;
            },
            because: "the hung FE is terminated");

        // One missed deadline is forgiven; the third in a row is not.
        var terminated = executor.Server.Accepted[^1].FunctionExecutors.Single();
        Assert.Equal(FunctionExecutorTerminationReason.Unhealthy, terminated.TerminationReason);
        Assert.Equal("3 health checks timed out", terminated.TerminationMessage);
        Assert.Equal([TimeSpan.Zero], process.Stops);
    }

    [Theory]
    [MemberData(nameof(FeProtocols.Both), MemberType = typeof(FeProtocols))]
    public async Task AProcessThatDiesMidRunFailsItsAllocationFunctionErrorAndTerminatesUnhealthy(string protocol)
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var fe = executor.NewFunctionExecutor(TestFunctions.Crash, protocol);
        var allocation = executor.NewAllocation(fe);

        // The test FE's "crash" dies once the executor watches the allocation.
        await executor.ApplyAsync(executor.Snapshot([fe], [allocation]));

        var result = await executor.WaitForResultAsync(allocation.AllocationId);
        Assert.Equal(AllocationFailureReason.FunctionError, result.FailureReason);
        var terminated = await executor.WaitForStateAsync(fe.Id, FunctionExecutorStatus.Terminated);
        Assert.Equal(FunctionExecutorTerminationReason.Unhealthy, terminated.TerminationReason);
        Assert.Equal([allocation.AllocationId], terminated.AllocationIdsCausedTermination);
        var exit = await executor.Launcher.ProcessesOf(fe.Id).Single().Exited;
        Assert.Equal(TestFunctions.CrashExitCode, exit.ExitCode);
        Assert.False(exit.KilledByUs);
    }

    [Fact]
    public async Task BytesOnTheStateStreamThatAreNoMessageFailTheAllocationFunctionErrorAndTerminateUnhealthy()
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var fe = executor.NewFunctionExecutor(TestFunctions.Combine(TestFunctions.Echo, TestFunctions.GarbageWatch));
        var allocation = executor.NewAllocation(fe);

        await executor.ApplyAsync(executor.Snapshot([fe], [allocation]));

        // The stream is reopened a few times (after a pause on the executor's clock) before the FE is given up on.
        await Eventually.TrueAsync(
            async () =>
            {
                await executor.AdvanceAsync(TimeSpan.FromMilliseconds(250));
                return executor.DeliveredResultsOf(allocation.AllocationId).Count > 0;
            },
            because: "the allocation fails");
        Assert.Equal(AllocationFailureReason.FunctionError, executor.DeliveredResultsOf(allocation.AllocationId).Single().FailureReason);
        var terminated = await executor.WaitForStateAsync(fe.Id, FunctionExecutorStatus.Terminated);
        Assert.Equal(FunctionExecutorTerminationReason.Unhealthy, terminated.TerminationReason);
        Assert.Equal([allocation.AllocationId], terminated.AllocationIdsCausedTermination);
    }

    [Fact]
    public async Task AnIdleProcessThatExitsTerminatesUnhealthyBlamingNothing()
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var fe = executor.NewFunctionExecutor(TestFunctions.Echo);
        await executor.ApplyAsync(executor.Snapshot([fe]));
        var process = await executor.WaitForRunningAsync(fe);

        await process.CrashAsync(exitCode: 3);

        var terminated = await executor.WaitForStateAsync(fe.Id, FunctionExecutorStatus.Terminated);
        Assert.Equal(FunctionExecutorTerminationReason.Unhealthy, terminated.TerminationReason);
        Assert.Contains("exit code 3", terminated.TerminationMessage, StringComparison.Ordinal);
        Assert.Empty(terminated.AllocationIdsCausedTermination);
    }

    [Theory]
    [MemberData(nameof(FeProtocols.Both), MemberType = typeof(FeProtocols))]
    public async Task AnOomKilledProcessTerminatesOomAndItsRunningAllocationFailsOom(string protocol)
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var fe = executor.NewFunctionExecutor(TestFunctions.Hang, protocol);
        var allocation = executor.NewAllocation(fe);
        await executor.ApplyAsync(executor.Snapshot([fe], [allocation]));
        var process = await executor.WaitForRunningAsync(fe);
        await process.WaitForCallAsync("watch_allocation_state", allocation.AllocationId);

        // Its connections break at once, but its end (which tells the OOM kill) is noticed only a second later, once its
        // output is drained: by then the run has given up reconnecting to the FE.
        await process.OomKillAsync(holdEndNotice: true);
        var held = TimeSpan.Zero;
        await Eventually.TrueAsync(
            async () =>
            {
                await executor.AdvanceAsync(TimeSpan.FromMilliseconds(50));
                held += TimeSpan.FromMilliseconds(50);
                return held >= TimeSpan.FromSeconds(1) || executor.DeliveredResultsOf(allocation.AllocationId).Count > 0;
            },
            because: "a second passes");
        process.NoticeEnd();

        Assert.Equal(AllocationFailureReason.Oom, (await executor.WaitForResultAsync(allocation.AllocationId)).FailureReason);
        var terminated = await executor.WaitForStateAsync(fe.Id, FunctionExecutorStatus.Terminated);
        Assert.Equal(FunctionExecutorTerminationReason.Oom, terminated.TerminationReason);
        Assert.Equal([allocation.AllocationId], terminated.AllocationIdsCausedTermination);
    }

    [Theory]
    [MemberData(nameof(FeProtocols.Both), MemberType = typeof(FeProtocols))]
    public async Task ATimeoutFailsTheAllocationFunctionTimeoutTerminatesItsFunctionExecutorAndItsBystandersFailFunctionExecutorTerminated(string protocol)
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var fe = executor.NewFunctionExecutor(TestFunctions.Hang, protocol, maxConcurrency: 2, allocationTimeoutMs: 10_000);
        var slow = executor.NewAllocation(fe);
        var bystander = executor.NewAllocation(fe);
        var queued = executor.NewAllocation(fe);
        await executor.ApplyAsync(executor.Snapshot([fe], [slow]));
        var process = await executor.WaitForRunningAsync(fe);
        var beforeStart = executor.Time.GetUtcNow();
        await process.WaitForCallAsync("watch_allocation_state", slow.AllocationId);

        // The bystander starts 8 s later, so only the first one's time runs out. The clock moves in small steps: time
        // the executor spends on an allocation's behalf does not count against it.
        await AdvanceInStepsAsync(executor, TimeSpan.FromSeconds(8));
        await executor.ApplyAsync(executor.Snapshot([fe], [slow, bystander, queued]));
        await process.WaitForCallAsync("watch_allocation_state", bystander.AllocationId);
        var grain = executor.FunctionExecutor(fe.Id);
        await Eventually.TrueAsync(
            async () =>
            {
                await executor.AdvanceAsync(TimeSpan.FromMilliseconds(100));
                return (await grain.GetStateAsync()).Running < 2;
            },
            because: "the first allocation times out");

        var timedOut = await executor.WaitForResultAsync(slow.AllocationId);
        Assert.Equal(AllocationFailureReason.FunctionTimeout, timedOut.FailureReason);

        // At least its timeout, at most the time the clock moved since it started (the loop above keeps stepping the clock
        // while a loaded machine is still handling the timeout, so how far past 10 s depends on that machine).
        var elapsed = (ulong)(executor.Time.GetUtcNow() - beforeStart).TotalMilliseconds;
        Assert.InRange(timedOut.ExecutionDurationMs ?? 0, 10_000UL, elapsed);
        Assert.Null(timedOut.Value);
        Assert.Equal(AllocationFailureReason.FunctionExecutorTerminated, (await executor.WaitForResultAsync(bystander.AllocationId)).FailureReason);
        Assert.Equal(AllocationFailureReason.FunctionExecutorTerminated, (await executor.WaitForResultAsync(queued.AllocationId)).FailureReason);
        var terminated = await executor.WaitForStateAsync(fe.Id, FunctionExecutorStatus.Terminated);
        Assert.Equal(FunctionExecutorTerminationReason.FunctionTimeout, terminated.TerminationReason);
        Assert.Equal([slow.AllocationId], terminated.AllocationIdsCausedTermination);
        Assert.DoesNotContain(process.Calls, c => c.AllocationId == queued.AllocationId);
        Assert.Equal([TimeSpan.Zero], process.Stops);
    }

    private static async Task AdvanceInStepsAsync(ExecutorCluster executor, TimeSpan total)
    {
        for (var moved = TimeSpan.Zero; moved < total; moved += TimeSpan.FromMilliseconds(100))
        {
            await executor.AdvanceAsync(TimeSpan.FromMilliseconds(100));
        }
    }
}

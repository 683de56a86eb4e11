using Executor.Grains.Tests.Infrastructure;
using Executor.Model;
using Executor.Server;
using Executor.Testing;
using TestFunctionExecutor;
using Xunit.Abstractions;

namespace Executor.Grains.Tests;

/// <summary>Graceful executor shutdown (what SIGTERM runs): every FE stopped, then STOPPED with every unacknowledged result.</summary>
public sealed class ShutdownTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ShutdownStopsEveryFunctionExecutorAndReportsStoppedWithTheResultsTheServerHasNotAcknowledged()
    {
        await using var executor = await ExecutorCluster.StartAsync(output);
        var echo = executor.NewFunctionExecutor(TestFunctions.Echo);
        var hang = executor.NewFunctionExecutor(TestFunctions.Hang);
        var done = executor.NewAllocation(echo);
        var inFlight = executor.NewAllocation(hang);
        await executor.ApplyAsync(executor.Snapshot([echo, hang]));
        var echoProcess = await executor.WaitForRunningAsync(echo);
        var hangProcess = await executor.WaitForRunningAsync(hang);

        // A result the Server has not acknowledged yet (it accepts only the final report), and an allocation still running.
        executor.Server.FailAllReports(() => new ServerRpcException("UNAVAILABLE: scripted"), when: r => r.Status != ExecutorStatus.Stopped);
        await executor.ApplyAsync(executor.Snapshot([echo, hang], [done, inFlight]));
        await Eventually.TrueAsync(async () => (await executor.Executor.GetStatusAsync()).PendingResults == 1, because: "the echo result waits");
        await hangProcess.WaitForCallAsync("watch_allocation_state", inFlight.AllocationId);

        await executor.Executor.ShutdownAsync(TimeSpan.FromSeconds(30));

        var stopped = executor.Server.Attempts[^1];
        Assert.True(stopped.Accepted);
        Assert.Equal(ExecutorStatus.Stopped, stopped.Report.Status);
        Assert.Empty(stopped.Report.FunctionExecutors);
        Assert.Equal([done.AllocationId], stopped.Report.Results.Select(r => r.AllocationId));
        Assert.All([echoProcess, hangProcess], p =>
        {
            Assert.True(p.HasExited);
            Assert.True(p.StoppedByExecutor);
            Assert.Equal([TimeSpan.FromSeconds(2)], p.Stops);
        });

        // Nothing more is started or reported after it.
        var status = await executor.Executor.GetStatusAsync();
        Assert.Equal(ExecutorStatus.Stopped, status.Status);
        Assert.Equal(0, status.FunctionExecutors);
    }
}

using System.Diagnostics;
using Executor.FunctionExecutors.Processes;
using Xunit.Abstractions;

namespace Executor.Processes.Tests;

public sealed class StopTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly ProcessTestBed _bed = new(output);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    [Fact]
    public async Task Graceful_stop_terminates_the_whole_group_including_a_grandchild()
    {
        var process = await _bed.LaunchAsync(_bed.Request("fe-group", "grandchild"));
        var record = _bed.ReadRecord("fe-group");
        var grandchild = record.Grandchild!.Value;
        var feStart = ProcessTestBed.StartTimeOf(process.ProcessId);
        var grandchildStart = ProcessTestBed.StartTimeOf(grandchild);
        Assert.True(ProcStat.TryRead(grandchild, out var stat) && stat.ProcessGroupId == process.ProcessId);

        await process.StopAsync(TimeSpan.FromSeconds(10), CancellationToken.None).WaitAsync(ProcessTestBed.Patience);

        Assert.True(process.HasExited);
        Assert.True(ProcessTestBed.IsReaped(process.ProcessId, feStart), "the FE was reaped (no zombie)");
        Assert.False(ProcessTestBed.IsAlive(grandchild, grandchildStart), "the grandchild is dead");
        var exit = await process.Exited.WaitAsync(ProcessTestBed.Patience);
        Assert.True(exit.KilledByUs);
        Assert.Equal(Libc.SIGTERM, exit.Signal);
        Assert.Null(exit.ExitCode);
        Assert.False(exit.LikelyOomKilled);
        Assert.False(File.Exists(_bed.PidRecordPath("fe-group")));
    }

    [Fact]
    public async Task Sigterm_is_escalated_to_sigkill_after_the_grace_period()
    {
        var process = await _bed.LaunchAsync(_bed.Request("fe-stubborn", "ignore-term"));
        var grandchild = _bed.ReadRecord("fe-stubborn").Grandchild!.Value;
        var grandchildStart = ProcessTestBed.StartTimeOf(grandchild);
        var watch = Stopwatch.StartNew();

        await process.StopAsync(TimeSpan.FromMilliseconds(300), CancellationToken.None).WaitAsync(ProcessTestBed.Patience);

        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(250), $"stopped after {watch.Elapsed}");
        var exit = await process.Exited.WaitAsync(ProcessTestBed.Patience);
        Assert.Equal(Libc.SIGKILL, exit.Signal);
        Assert.True(exit.KilledByUs);
        Assert.False(exit.LikelyOomKilled);
        Assert.False(ProcessTestBed.IsAlive(grandchild, grandchildStart));
    }

    [Fact]
    public async Task Zero_grace_kills_at_once_and_stop_is_idempotent()
    {
        var process = await _bed.LaunchAsync(_bed.Request("fe-zero", "ignore-term"));
        var feStart = ProcessTestBed.StartTimeOf(process.ProcessId);

        await Task.WhenAll(
            process.StopAsync(TimeSpan.Zero, CancellationToken.None),
            process.StopAsync(TimeSpan.FromMinutes(5), CancellationToken.None)).WaitAsync(ProcessTestBed.Patience);
        await process.StopAsync(TimeSpan.Zero, CancellationToken.None);
        await process.DisposeAsync();
        await process.StopAsync(TimeSpan.FromSeconds(1), CancellationToken.None);

        var exit = await process.Exited;
        Assert.Equal(Libc.SIGKILL, exit.Signal);
        Assert.True(exit.KilledByUs);
        Assert.True(ProcessTestBed.IsReaped(process.ProcessId, feStart));
    }

    [Fact]
    public async Task A_cancelled_token_cuts_the_grace_period_short()
    {
        var process = await _bed.LaunchAsync(_bed.Request("fe-hurry", "ignore-term"));
        using var cancellation = new CancellationTokenSource();

        var stop = process.StopAsync(TimeSpan.FromMinutes(5), cancellation.Token);
        await cancellation.CancelAsync();
        await stop.WaitAsync(ProcessTestBed.Patience);

        Assert.Equal(Libc.SIGKILL, (await process.Exited).Signal);
    }

    [Fact]
    public async Task Stopping_a_process_that_already_exited_does_not_throw()
    {
        var process = await _bed.LaunchAsync(_bed.Request("fe-dead", "listen"));
        await FakeFunctionExecutorClient.SendExitAsync(process.Port, 0);
        var exit = await process.Exited.WaitAsync(ProcessTestBed.Patience);

        await process.StopAsync(TimeSpan.FromSeconds(5), CancellationToken.None).WaitAsync(ProcessTestBed.Patience);

        Assert.Equal(0, exit.ExitCode);
        Assert.False(exit.KilledByUs);
        Assert.False(File.Exists(_bed.PidRecordPath("fe-dead")));
    }
}

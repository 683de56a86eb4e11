using System.Diagnostics;
using Executor.FunctionExecutors.Processes;
using Xunit.Abstractions;

namespace Executor.Processes.Tests;

public sealed class ExitDetectionTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly ProcessTestBed _bed = new(output);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    [Fact]
    public async Task Reports_the_exit_code_when_the_process_exits_by_itself()
    {
        var process = await _bed.LaunchAsync(_bed.Request("fe-crash", "listen"));

        await FakeFunctionExecutorClient.SendExitAsync(process.Port, 7);
        var exit = await process.Exited.WaitAsync(ProcessTestBed.Patience);

        Assert.True(process.HasExited);
        Assert.Equal(7, exit.ExitCode);
        Assert.Null(exit.Signal);
        Assert.False(exit.KilledByUs);
        Assert.False(exit.LikelyOomKilled);
        Assert.Contains("exiting on request", exit.DiagnosticsTail, StringComparison.Ordinal);
        Assert.Equal("exit code 7", exit.Describe());
    }

    [Fact]
    public async Task Reports_the_signal_when_the_process_is_killed_from_outside()
    {
        var process = await _bed.LaunchAsync(_bed.Request("fe-kill9", "listen"));

        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-9", process.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!)
        {
            await kill.WaitForExitAsync().WaitAsync(ProcessTestBed.Patience);
            Assert.Equal(0, kill.ExitCode);
        }

        var exit = await process.Exited.WaitAsync(ProcessTestBed.Patience);

        Assert.Equal(Libc.SIGKILL, exit.Signal);
        Assert.Null(exit.ExitCode);
        Assert.False(exit.KilledByUs);

        // No OOM happened in this cgroup meanwhile (best-effort detection must not cry wolf).
        Assert.False(exit.LikelyOomKilled);
        Assert.Equal("signal 9 (SIGKILL)", exit.Describe());
    }
}

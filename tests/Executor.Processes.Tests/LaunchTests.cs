using System.Diagnostics;
using System.Text.Json;
using Executor.FunctionExecutors.Processes;
using Xunit.Abstractions;

namespace Executor.Processes.Tests;

public sealed class LaunchTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly ProcessTestBed _bed = new(output);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    [Fact]
    public async Task Passes_the_exact_command_line_and_leads_its_own_process_group()
    {
        var process = await _bed.LaunchAsync(_bed.Request("fe-argv", "listen"));
        var record = _bed.ReadRecord("fe-argv");

        Assert.Equal(
            [_bed.ScriptPath, "--executor-id=executor-1", "--function-executor-id=fe-argv", "--address", $"localhost:{process.Port}"],
            record.Argv);
        Assert.Equal(process.ProcessId, record.Pid);
        Assert.Equal(record.Pid, record.ProcessGroupId);
        Assert.Equal(record.Pid, record.SessionId);
        Assert.Equal($"127.0.0.1:{process.Port}", process.Address);
        Assert.Equal("fe-argv", process.FunctionExecutorId);
        Assert.False(process.HasExited);
        Assert.StartsWith(Path.Combine(_bed.CachePath, "fe-work"), record.WorkingDirectory, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Puts_leading_arguments_first_and_dev_last()
    {
        var options = _bed.Options(o =>
        {
            o.Command = FakeFunctionExecutorScript.PythonExecutable;
            o.Arguments = [_bed.ScriptPath, "--leading"];
        });

        var process = await _bed.LaunchAsync(_bed.Request("fe-dev", "listen", dev: true), options);
        var record = _bed.ReadRecord("fe-dev");

        // sys.argv[0] is the script when python runs it.
        Assert.Equal(
            [_bed.ScriptPath, "--leading", "--executor-id=executor-1", "--function-executor-id=fe-dev", "--address", $"localhost:{process.Port}", "--dev"],
            record.Argv);
    }

    [Fact]
    public async Task Writes_a_pid_record_and_deletes_it_after_stop()
    {
        var process = await _bed.LaunchAsync(_bed.Request("fe-record", "listen"));
        var path = _bed.PidRecordPath("fe-record");

        using (var document = JsonDocument.Parse(File.ReadAllText(path)))
        {
            var root = document.RootElement;
            Assert.Equal(process.ProcessId, root.GetProperty("pid").GetInt32());
            Assert.Equal(ProcessTestBed.StartTimeOf(process.ProcessId), root.GetProperty("startTime").GetUInt64());
            Assert.Equal(Environment.ProcessId, root.GetProperty("executorPid").GetInt32());
            Assert.True(root.GetProperty("ownsProcessGroup").GetBoolean());
            Assert.Contains(_bed.ScriptPath, root.GetProperty("command").GetString(), StringComparison.Ordinal);
        }

        await process.StopAsync(TimeSpan.Zero, CancellationToken.None);

        Assert.False(File.Exists(path));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public async Task Fails_within_the_startup_timeout_with_diagnostics_when_the_port_never_opens()
    {
        var options = _bed.Options(o => o.StartupTimeout = TimeSpan.FromSeconds(1));
        var watch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<FunctionExecutorLaunchException>(
            () => _bed.Launcher(options).LaunchAsync(_bed.Request("fe-never", "never"), CancellationToken.None).WaitAsync(ProcessTestBed.Patience));

        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(15));
        Assert.Contains("did not accept connections", error.Message, StringComparison.Ordinal);
        Assert.Contains("fake-fe pid=", error.Message, StringComparison.Ordinal);
        Assert.Contains("fake-fe pid=", error.DiagnosticsTail, StringComparison.Ordinal);
        Assert.Equal(1, error.Attempts);
        Assert.True(File.Exists(error.DiagnosticsLogPath));

        // The process was killed and reaped, and its record removed.
        var record = _bed.ReadRecord("fe-never");
        Assert.False(ProcStat.TryRead(record.Pid, out var stat) && stat.SessionId == record.Pid);
        Assert.False(File.Exists(_bed.PidRecordPath("fe-never")));
    }

    [Fact]
    public async Task Retries_with_new_ports_when_the_process_exits_early_then_reports_the_exit_code()
    {
        var options = _bed.Options(o => o.PortBindAttempts = 3);

        var error = await Assert.ThrowsAsync<FunctionExecutorLaunchException>(
            () => _bed.Launcher(options).LaunchAsync(_bed.Request("fe-exit", "exit"), CancellationToken.None).WaitAsync(ProcessTestBed.Patience * 2));

        Assert.Contains("exit code 3", error.Message, StringComparison.Ordinal);
        Assert.Contains("Address already in use", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, error.ExitCode);
        Assert.Null(error.Signal);
        Assert.Equal(3, error.Attempts);
        var ports = _bed.ReadAttemptPorts("fe-exit");
        Assert.Equal(3, ports.Count);
        Assert.Equal(3, ports.Distinct().Count());
        Assert.False(File.Exists(_bed.PidRecordPath("fe-exit")));
    }

    [Fact]
    public async Task Succeeds_on_a_later_attempt_when_the_first_one_exits_early()
    {
        var process = await _bed.LaunchAsync(_bed.Request("fe-once", "fail-once"));

        var ports = _bed.ReadAttemptPorts("fe-once");
        Assert.Equal(2, ports.Count);
        Assert.NotEqual(ports[0], ports[1]);
        Assert.Equal(ports[1], process.Port);
    }

    [Fact]
    public async Task Cancellation_while_waiting_for_the_port_kills_the_process()
    {
        using var cancellation = new CancellationTokenSource();
        var launch = _bed.Launcher().LaunchAsync(_bed.Request("fe-cancel", "never"), cancellation.Token);
        await ProcessTestBed.WaitUntilAsync(() => File.Exists(_bed.RecordPath("fe-cancel")), "the fake FE started");
        var record = _bed.ReadRecord("fe-cancel");
        var startTime = ProcessTestBed.StartTimeOf(record.Pid);

        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => launch.WaitAsync(ProcessTestBed.Patience));
        Assert.True(ProcessTestBed.IsReaped(record.Pid, startTime));
        Assert.False(File.Exists(_bed.PidRecordPath("fe-cancel")));
    }

    [Fact]
    public async Task Missing_command_fails_naming_the_setting()
    {
        var options = _bed.Options(o => o.Command = "no-such-function-executor-binary");

        var error = await Assert.ThrowsAsync<FunctionExecutorLaunchException>(
            () => _bed.Launcher(options).LaunchAsync(_bed.Request("fe-missing", "listen"), CancellationToken.None));

        Assert.Contains("FunctionExecutor:Command", error.Message, StringComparison.Ordinal);
    }
}

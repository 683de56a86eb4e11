using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Executor.FunctionExecutors.Processes;

/// <summary>
/// One spawned FE process: pumps its output into the diagnostics log, watches for its exit, and kills its whole
/// process group on stop. Created by <see cref="FunctionExecutorProcessLauncher"/>.
/// </summary>
internal sealed class FunctionExecutorProcess : IFunctionExecutorProcess
{
    /// <summary>How long a SIGKILLed process group may take to disappear before we give up (and keep the pid record).</summary>
    internal static readonly TimeSpan KillTimeout = TimeSpan.FromSeconds(10);

    /// <summary>After exit, how long to wait for the output pipes to drain (a surviving child may hold them open forever).</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(1);

    private readonly Process _process;
    private readonly DiagnosticsLog _log;
    private readonly bool _ownsGroup;
    private readonly ulong _startTime;
    private readonly string? _pidRecordPath;
    private readonly string _workDirectory;
    private readonly OomKillCounter _oom;
    private readonly long?[] _oomBefore;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly CancellationTokenSource _pumpCancellation = new();
    private readonly TaskCompletionSource _exitObserved = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _killRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<FunctionExecutorProcessExit> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private readonly Task _stdoutPump;
    private readonly Task _stderrPump;
    private Task? _stopTask;
    private volatile bool _killedByUs;
    private volatile bool _ownsLog;
    private int _disposed;

    private FunctionExecutorProcess(
        string functionExecutorId,
        int port,
        Process process,
        DiagnosticsLog log,
        bool ownsGroup,
        PidRecordStore records,
        string command,
        string workDirectory,
        OomKillCounter oom,
        ILogger logger,
        TimeProvider timeProvider)
    {
        FunctionExecutorId = functionExecutorId;
        Port = port;
        _process = process;
        _log = log;
        _ownsGroup = ownsGroup;
        _workDirectory = workDirectory;
        _oom = oom;
        _oomBefore = oom.Snapshot();
        _logger = logger;
        _timeProvider = timeProvider;
        ProcessId = process.Id;

        // Record the process right away: if the executor dies from here on, the next one can find and kill it.
        // A missing /proc entry means it is already gone and reaped: nothing to record.
        if (ProcStat.TryRead(ProcessId, out var stat))
        {
            _startTime = stat.StartTime;
            var record = new PidRecord(functionExecutorId, ProcessId, stat.StartTime, BootId.Value, ownsGroup, Environment.ProcessId, command, port, timeProvider.GetUtcNow());
            try
            {
                _pidRecordPath = records.Write(record);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                ProcessLog.PidRecordWriteFailed(logger, ex, functionExecutorId, ProcessId, records.PathFor(functionExecutorId));
            }
        }

        // The FE reads nothing from stdin; closing it gives EOF instead of the executor's terminal.
        process.StandardInput.Close();
        _stdoutPump = PumpAsync(process.StandardOutput.BaseStream);
        _stderrPump = PumpAsync(process.StandardError.BaseStream);
        _ = WatchExitAsync();
    }

    public string FunctionExecutorId { get; }

    public int ProcessId { get; }

    public int Port { get; }

    public string Address => "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

    public string DiagnosticsLogPath => _log.Path;

    public bool HasExited => _exitObserved.Task.IsCompleted;

    public Task<FunctionExecutorProcessExit> Exited => _exited.Task;

    /// <summary>Completes the moment the process is reaped, before the output is drained.</summary>
    internal Task ExitObserved => _exitObserved.Task;

    internal string? PidRecordPath => _pidRecordPath;

    /// <summary>Spawns the process described by <paramref name="startInfo"/> (stdin/stdout/stderr redirected).</summary>
    public static FunctionExecutorProcess Start(
        string functionExecutorId,
        int port,
        ProcessStartInfo startInfo,
        DiagnosticsLog log,
        bool ownsGroup,
        PidRecordStore records,
        string command,
        string workDirectory,
        OomKillCounter oom,
        ILogger logger,
        TimeProvider timeProvider)
    {
        var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch
        {
            process.Dispose();
            throw;
        }

        return new FunctionExecutorProcess(functionExecutorId, port, process, log, ownsGroup, records, command, workDirectory, oom, logger, timeProvider);
    }

    /// <summary>The launcher hands the diagnostics log over once the launch succeeded; failed attempts leave it to the launcher.</summary>
    internal void TakeLogOwnership() => _ownsLog = true;

    public async Task StopAsync(TimeSpan gracePeriod, CancellationToken cancellationToken)
    {
        if (gracePeriod <= TimeSpan.Zero || cancellationToken.IsCancellationRequested)
        {
            _killRequested.TrySetResult();
        }

        Task stop;
        lock (_gate)
        {
            if (_stopTask is null && !HasExited)
            {
                ProcessLog.Stopping(_logger, FunctionExecutorId, ProcessId, Port, (long)gracePeriod.TotalMilliseconds);
            }

            stop = _stopTask ??= StopCoreAsync();
        }

        // Each caller can only shorten the grace: a later StopAsync(Zero) escalates a pending graceful stop.
        using var graceTimer = gracePeriod > TimeSpan.Zero
            ? _timeProvider.CreateTimer(static s => ((FunctionExecutorProcess)s!)._killRequested.TrySetResult(), this, gracePeriod, Timeout.InfiniteTimeSpan)
            : null;
        using var registration = cancellationToken.Register(static s => ((FunctionExecutorProcess)s!)._killRequested.TrySetResult(), this);
        await stop.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await StopAsync(TimeSpan.Zero, CancellationToken.None).ConfigureAwait(false);
        await _pumpCancellation.CancelAsync().ConfigureAwait(false);
        await WaitBoundedAsync(Task.WhenAll(_stdoutPump, _stderrPump), DrainTimeout).ConfigureAwait(false);
        if (_ownsLog)
        {
            await _log.DisposeAsync().ConfigureAwait(false);
        }

        _process.Dispose();
        _pumpCancellation.Dispose();
    }

    private async Task StopCoreAsync()
    {
        // Started under the gate: do the signalling and /proc scanning outside it.
        await Task.Yield();
        try
        {
            if (!HasExited)
            {
                _killedByUs = true;
                if (!_killRequested.Task.IsCompleted)
                {
                    Signal(Libc.SIGTERM);
                    await Task.WhenAny(_exitObserved.Task, _killRequested.Task).ConfigureAwait(false);
                }

                if (!HasExited)
                {
                    Signal(Libc.SIGKILL);
                }
            }

            // Children of the FE live on in its group after the FE died (by our hand or its own): finish them too.
            SignalGroup(Libc.SIGKILL);
            var reaped = await WaitBoundedAsync(_exitObserved.Task, KillTimeout).ConfigureAwait(false);
            var groupGone = await WaitForGroupGoneAsync().ConfigureAwait(false);
            await WaitBoundedAsync(_exited.Task, KillTimeout).ConfigureAwait(false);

            if (reaped && groupGone)
            {
                if (_pidRecordPath is not null)
                {
                    PidRecordStore.Delete(_pidRecordPath);
                }

                FunctionExecutorProcessPaths.TryDeleteDirectory(_workDirectory);
            }
            else
            {
                ProcessLog.KillTimedOut(_logger, FunctionExecutorId, ProcessId, _pidRecordPath ?? "(none)");
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            // Stop never throws: the exit watcher still reports how the process ended.
            ProcessLog.KillTimedOut(_logger, FunctionExecutorId, ProcessId, _pidRecordPath ?? "(none)");
        }
    }

    private void Signal(int signal)
    {
        SignalGroup(signal);
        if (!HasExited)
        {
            Libc.SignalProcess(ProcessId, signal);
        }
    }

    private void SignalGroup(int signal)
    {
        if (!_ownsGroup)
        {
            return;
        }

        // Once our process is reaped its pid may be reused; while any member of our group lives the kernel keeps the id
        // reserved, so a process holding that pid now means our group is empty and the id may belong to someone else.
        if (HasExited && ProcStat.TryRead(ProcessId, out _))
        {
            return;
        }

        Libc.SignalGroup(ProcessId, signal);
    }

    private async Task<bool> WaitForGroupGoneAsync()
    {
        if (!_ownsGroup)
        {
            return true;
        }

        var start = _timeProvider.GetTimestamp();
        var delay = TimeSpan.FromMilliseconds(5);
        while (true)
        {
            // Members started after our process (its descendants) that are not yet dead; zombies are the new parent's to reap.
            var alive = ProcStat.LiveGroupMembers(ProcessId).Any(s => s.StartTime >= _startTime);
            if (!alive)
            {
                return true;
            }

            if (_timeProvider.GetElapsedTime(start) >= KillTimeout)
            {
                return false;
            }

            SignalGroup(Libc.SIGKILL);
            await Task.Delay(delay, _timeProvider).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 100));
        }
    }

    private async Task PumpAsync(Stream stream)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await stream.ReadAsync(buffer, _pumpCancellation.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }

                await _log.AppendAsync(buffer.AsMemory(0, read)).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // Disposed or cancelled: the process is gone and we stopped listening.
        }
    }

    private async Task WatchExitAsync()
    {
        int raw;
        try
        {
            await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            raw = _process.ExitCode;
        }
        catch (InvalidOperationException)
        {
            raw = -1;
        }

        _exitObserved.TrySetResult();
        var (exitCode, signal) = ExitStatus.Decode(raw);
        var killedByUs = _killedByUs;
        var likelyOom = signal == Libc.SIGKILL && !killedByUs && _oom.IncreasedSince(_oomBefore);

        // The last words (a traceback) are usually still in the pipe; read them, but don't wait on a child holding it open.
        await WaitBoundedAsync(Task.WhenAll(_stdoutPump, _stderrPump), DrainTimeout).ConfigureAwait(false);

        var exit = new FunctionExecutorProcessExit(exitCode, signal, killedByUs, likelyOom, _log.Tail());
        ProcessLog.Exited(_logger, FunctionExecutorId, ProcessId, Port, exit.Describe(), killedByUs, likelyOom);
        _exited.TrySetResult(exit);
    }

    private async Task<bool> WaitBoundedAsync(Task task, TimeSpan timeout)
    {
        if (task.IsCompleted)
        {
            return true;
        }

        using var cancel = new CancellationTokenSource();
        var delay = Task.Delay(timeout, _timeProvider, cancel.Token);
        var winner = await Task.WhenAny(task, delay).ConfigureAwait(false);
        await cancel.CancelAsync().ConfigureAwait(false);
        return winner == task;
    }
}

extern alias TestFe;

using Executor.FunctionExecutors.Processes;
using InProcessFunctionExecutor = TestFe::TestFunctionExecutor.InProcessFunctionExecutor;
using TestFunctionExecutor;

namespace Executor.Grains.Tests.Infrastructure;

/// <summary>
/// An FE "process" that is the test FE's service hosted in this process (<see cref="InProcessFunctionExecutor"/>).
/// Records how the executor stopped it; tests make it die on its own with <see cref="CrashAsync"/> or
/// <see cref="OomKillAsync"/>.
/// </summary>
public sealed class FakeFunctionExecutorProcess : IFunctionExecutorProcess
{
    private readonly InProcessFunctionExecutor _fe;
    private readonly Lock _gate = new();
    private readonly List<TimeSpan> _stops = [];
    private volatile bool _stoppedByExecutor;
    private Cause _cause;
    private readonly TaskCompletionSource _endNoticed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource? _stopHold;

    public FakeFunctionExecutorProcess(InProcessFunctionExecutor fe, FunctionExecutorLaunchRequest request, int processId, string diagnosticsLogPath)
    {
        _fe = fe;
        Request = request;
        ProcessId = processId;
        DiagnosticsLogPath = diagnosticsLogPath;
        Exited = ExitAsync();
    }

    public FunctionExecutorLaunchRequest Request { get; }

    public string FunctionExecutorId => Request.FunctionExecutorId;

    public int ProcessId { get; }

    public int Port => _fe.Port;

    public string Address => $"127.0.0.1:{_fe.Port}";

    public string DiagnosticsLogPath { get; }

    public bool HasExited => Exited.IsCompleted;

    public Task<FunctionExecutorProcessExit> Exited { get; }

    /// <summary>The grace periods of every stop the executor asked for (<see cref="TimeSpan.Zero"/> = kill).</summary>
    public IReadOnlyList<TimeSpan> Stops
    {
        get
        {
            lock (_gate)
            {
                return [.. _stops];
            }
        }
    }

    public bool StoppedByExecutor => _stoppedByExecutor;

    /// <summary>The executor's calls to this FE so far: RPC name and the allocation it is about.</summary>
    public IReadOnlyList<(string Method, string? AllocationId)> Calls => _fe.Calls;

    /// <summary>Completes once the executor called <paramref name="method"/> (about <paramref name="allocationId"/>, when given).</summary>
    public Task WaitForCallAsync(string method, string? allocationId = null) =>
        _fe.WaitForCallAsync(method, allocationId).WaitAsync(Executor.Testing.Eventually.DefaultTimeout);

    /// <summary>The executor's calls of <paramref name="method"/> wait until <see cref="ReleaseCalls"/>.</summary>
    public void HoldCalls(string method) => _fe.HoldCalls(method);

    public void ReleaseCalls(string method) => _fe.ReleaseCalls(method);

    /// <summary>The executor's stops wait (recorded, process still alive) until <see cref="ReleaseStops"/>: a slow stop.</summary>
    public void HoldStops()
    {
        lock (_gate)
        {
            _stopHold ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public void ReleaseStops()
    {
        TaskCompletionSource? hold;
        lock (_gate)
        {
            hold = _stopHold;
            _stopHold = null;
        }

        hold?.TrySetResult();
    }

    /// <summary>The FE dies by itself with <paramref name="exitCode"/> (a crash the executor did not cause).</summary>
    public Task CrashAsync(int exitCode = TestFunctions.CrashExitCode) => _fe.CrashAsync(exitCode);

    /// <summary>
    /// The kernel's OOM killer ends it: SIGKILL the executor did not send, with the OOM-kill counter up. Its connections
    /// break at once; with <paramref name="holdEndNotice"/> its end (<see cref="Exited"/>) is noticed only at
    /// <see cref="NoticeEnd"/>, as a real process's end comes after its last output was drained (up to 1 s).
    /// </summary>
    public Task OomKillAsync(bool holdEndNotice = false)
    {
        if (!holdEndNotice)
        {
            NoticeEnd();
        }

        Claim(Cause.OomKiller);
        return _fe.KillAsync();
    }

    /// <summary>Lets the executor see the end of a process killed with its end notice held.</summary>
    public void NoticeEnd() => _endNoticed.TrySetResult();

    public async Task StopAsync(TimeSpan gracePeriod, CancellationToken cancellationToken)
    {
        Task? hold;
        lock (_gate)
        {
            _stops.Add(gracePeriod);
            hold = _stopHold?.Task;
        }

        if (hold is not null)
        {
            await hold.ConfigureAwait(false);
        }

        _stoppedByExecutor = true;
        Claim(Cause.Executor);
        var stopping = gracePeriod <= TimeSpan.Zero || cancellationToken.IsCancellationRequested ? _fe.KillAsync() : _fe.TerminateAsync(gracePeriod);
        await stopping.ConfigureAwait(false);
        await Exited.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        Claim(Cause.Executor);
        await _fe.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Who ends it, when it is ended from outside: the first one to try (a later stop finds it gone).</summary>
    private void Claim(Cause cause)
    {
        lock (_gate)
        {
            if (_cause == Cause.None)
            {
                _cause = cause;
            }
        }
    }

    private async Task<FunctionExecutorProcessExit> ExitAsync()
    {
        // The FE's exit code tells how its first stop began: an exit code of its own (a crash, scripted or not) wins
        // over a later kill; 0 is a graceful stop the executor asked for; none is a kill (by the executor or the OOM killer).
        var code = await _fe.Exited.ConfigureAwait(false);
        if (_cause == Cause.OomKiller)
        {
            await _endNoticed.Task.ConfigureAwait(false);
        }

        const int SigKill = 9;
        Cause cause;
        lock (_gate)
        {
            cause = _cause;
        }

        return code switch
        {
            null => new FunctionExecutorProcessExit(null, SigKill, KilledByUs: cause == Cause.Executor, LikelyOomKilled: cause == Cause.OomKiller, DiagnosticsTail: null),
            0 => new FunctionExecutorProcessExit(0, null, KilledByUs: true, LikelyOomKilled: false, DiagnosticsTail: null),
            _ => new FunctionExecutorProcessExit(code, null, KilledByUs: false, LikelyOomKilled: false, DiagnosticsTail: null),
        };
    }

    private enum Cause
    {
        None,
        Executor,
        OomKiller,
    }
}

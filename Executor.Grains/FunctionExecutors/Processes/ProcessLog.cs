using Microsoft.Extensions.Logging;

namespace Executor.FunctionExecutors.Processes;

/// <summary>Source-generated log messages of the FE process layer (structured: fe id, pid, port, path).</summary>
internal static partial class ProcessLog
{
    [LoggerMessage(EventId = 4100, Level = LogLevel.Information,
        Message = "starting function executor {FunctionExecutorId}: attempt {Attempt}/{Attempts}, port {Port}, command {Command}, diagnostics log {DiagnosticsLogPath}")]
    public static partial void Starting(ILogger logger, string functionExecutorId, int attempt, int attempts, int port, string command, string diagnosticsLogPath);

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information,
        Message = "function executor {FunctionExecutorId} is listening: pid {Pid}, port {Port}, after {ElapsedMs} ms")]
    public static partial void Listening(ILogger logger, string functionExecutorId, int pid, int port, long elapsedMs);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning,
        Message = "function executor {FunctionExecutorId} (pid {Pid}) exited with {Exit} before listening on port {Port} (attempt {Attempt}/{Attempts}); diagnostics log {DiagnosticsLogPath}")]
    public static partial void ExitedBeforeListening(ILogger logger, string functionExecutorId, int pid, string exit, int port, int attempt, int attempts, string diagnosticsLogPath);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Warning,
        Message = "function executor {FunctionExecutorId} (pid {Pid}) did not listen on port {Port} within {TimeoutMs} ms; killing it; diagnostics log {DiagnosticsLogPath}")]
    public static partial void StartupTimedOut(ILogger logger, string functionExecutorId, int pid, int port, long timeoutMs, string diagnosticsLogPath);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Warning,
        Message = "setsid was not found; function executor processes share the executor's process group, so their children cannot be killed with them and orphans cannot be reaped as a group")]
    public static partial void SetsidMissing(ILogger logger);

    [LoggerMessage(EventId = 4105, Level = LogLevel.Information,
        Message = "function executor {FunctionExecutorId} (pid {Pid}, port {Port}) exited: {Exit}, killed by us: {KilledByUs}, likely OOM-killed: {LikelyOomKilled}")]
    public static partial void Exited(ILogger logger, string functionExecutorId, int pid, int port, string exit, bool killedByUs, bool likelyOomKilled);

    [LoggerMessage(EventId = 4106, Level = LogLevel.Information,
        Message = "stopping function executor {FunctionExecutorId} (pid {Pid}, port {Port}), grace period {GraceMs} ms")]
    public static partial void Stopping(ILogger logger, string functionExecutorId, int pid, int port, long graceMs);

    [LoggerMessage(EventId = 4107, Level = LogLevel.Error,
        Message = "function executor {FunctionExecutorId} (pid {Pid}) or members of its process group are still alive after SIGKILL; keeping pid record {PidRecordPath} for the orphan reaper")]
    public static partial void KillTimedOut(ILogger logger, string functionExecutorId, int pid, string pidRecordPath);

    [LoggerMessage(EventId = 4108, Level = LogLevel.Warning,
        Message = "could not write pid record {PidRecordPath} for function executor {FunctionExecutorId} (pid {Pid}); it will not be reaped if the executor dies")]
    public static partial void PidRecordWriteFailed(ILogger logger, Exception exception, string functionExecutorId, int pid, string pidRecordPath);

    [LoggerMessage(EventId = 4110, Level = LogLevel.Warning,
        Message = "killed orphan function executor {FunctionExecutorId} (pid {Pid}, process group {ProcessGroupId}, {Processes} process(es)) left by executor pid {ExecutorPid}; record {PidRecordPath}")]
    public static partial void OrphanKilled(ILogger logger, string functionExecutorId, int pid, int processGroupId, int processes, int executorPid, string pidRecordPath);

    [LoggerMessage(EventId = 4111, Level = LogLevel.Information,
        Message = "orphan record {PidRecordPath} of function executor {FunctionExecutorId}: pid {Pid} is gone or now another process; nothing to kill")]
    public static partial void OrphanGone(ILogger logger, string functionExecutorId, int pid, string pidRecordPath);

    [LoggerMessage(EventId = 4112, Level = LogLevel.Warning,
        Message = "unreadable pid record {PidRecordPath} deleted")]
    public static partial void OrphanRecordUnreadable(ILogger logger, string pidRecordPath);

    [LoggerMessage(EventId = 4113, Level = LogLevel.Error,
        Message = "orphan function executor {FunctionExecutorId} (pid {Pid}) still alive after SIGKILL; giving up on it")]
    public static partial void OrphanKillTimedOut(ILogger logger, string functionExecutorId, int pid);

    [LoggerMessage(EventId = 4114, Level = LogLevel.Information,
        Message = "orphan reaper checked {Records} pid record(s) in {Directory}, killed {Killed}")]
    public static partial void ReapFinished(ILogger logger, int records, string directory, int killed);

    [LoggerMessage(EventId = 4115, Level = LogLevel.Information,
        Message = "pid record {PidRecordPath} of function executor {FunctionExecutorId} is from another boot; nothing to kill")]
    public static partial void OrphanFromOtherBoot(ILogger logger, string functionExecutorId, string pidRecordPath);

    [LoggerMessage(EventId = 4116, Level = LogLevel.Warning,
        Message = "port {Port} picked for function executor {FunctionExecutorId} (pid {Pid}) is held by another process; killing the FE and retrying with another port (attempt {Attempt}/{Attempts})")]
    public static partial void PortTaken(ILogger logger, string functionExecutorId, int pid, int port, int attempt, int attempts);
}

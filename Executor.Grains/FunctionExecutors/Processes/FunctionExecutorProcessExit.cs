namespace Executor.FunctionExecutors.Processes;

/// <summary>How a Function Executor process ended.</summary>
/// <param name="ExitCode">The exit status when the process exited normally; null when a signal ended it.</param>
/// <param name="Signal">The signal that ended the process, if any.</param>
/// <param name="KilledByUs">True when <see cref="IFunctionExecutorProcess.StopAsync"/> (or dispose) initiated the end.</param>
/// <param name="LikelyOomKilled">Best effort: SIGKILL we did not send while the cgroup's OOM-kill counter went up.</param>
/// <param name="DiagnosticsTail">The last few KB of the process's stdout/stderr.</param>
public sealed record FunctionExecutorProcessExit(
    int? ExitCode,
    int? Signal,
    bool KilledByUs,
    bool LikelyOomKilled,
    string? DiagnosticsTail)
{
    /// <summary>Human-readable status, e.g. "exit code 3" or "signal 9 (SIGKILL)".</summary>
    public string Describe() => Signal is { } signal
        ? $"signal {signal}{SignalName(signal)}"
        : $"exit code {ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"}";

    private static string SignalName(int signal) => signal switch
    {
        Libc.SIGKILL => " (SIGKILL)",
        Libc.SIGTERM => " (SIGTERM)",
        6 => " (SIGABRT)",
        11 => " (SIGSEGV)",
        2 => " (SIGINT)",
        _ => string.Empty,
    };
}

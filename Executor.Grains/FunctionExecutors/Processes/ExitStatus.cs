namespace Executor.FunctionExecutors.Processes;

/// <summary>
/// Splits .NET's <see cref="System.Diagnostics.Process.ExitCode"/> into exit code vs signal. On Unix .NET reports a
/// signalled child as 128 + signal number (WIFSIGNALED → 128 + WTERMSIG), the shell convention; a process that
/// calls exit(137) is indistinguishable from one killed by SIGKILL, so 129..192 is read as a signal.
/// </summary>
internal static class ExitStatus
{
    private const int MaxSignal = 64;

    public static (int? ExitCode, int? Signal) Decode(int raw)
        => raw is > 128 and <= 128 + MaxSignal ? (null, raw - 128) : (raw, null);
}

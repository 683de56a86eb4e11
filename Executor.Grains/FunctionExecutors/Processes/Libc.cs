using System.Runtime.InteropServices;

namespace Executor.FunctionExecutors.Processes;

/// <summary>The few libc calls .NET has no API for: signals to process groups.</summary>
internal static class Libc
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    private const int ESRCH = 3;

    /// <summary>kill(2). Returns true when the signal was delivered; false with ESRCH when there is no such process (group).</summary>
    public static bool TrySignal(int pid, int signal, out int errno)
    {
        if (kill(pid, signal) == 0)
        {
            errno = 0;
            return true;
        }

        errno = Marshal.GetLastPInvokeError();
        return false;
    }

    /// <summary>Sends to the whole process group led by <paramref name="processGroupId"/>; a missing group is not an error.</summary>
    public static void SignalGroup(int processGroupId, int signal)
    {
        // Never signal "all processes" (0/-1) or our own group by mistake.
        if (processGroupId <= 1 || processGroupId == getpgrp())
        {
            return;
        }

        TrySignal(-processGroupId, signal, out _);
    }

    /// <summary>Sends to one process; a missing process is not an error.</summary>
    public static void SignalProcess(int pid, int signal)
    {
        if (pid <= 1 || pid == Environment.ProcessId)
        {
            return;
        }

        TrySignal(pid, signal, out _);
    }

    public static bool IsNoSuchProcess(int errno) => errno == ESRCH;

    public static int CurrentProcessGroup() => getpgrp();

    // DllImport rather than LibraryImport: blittable signatures need no marshalling code and no AllowUnsafeBlocks.
    // The runtime maps "libc" to libc.so.6 on Linux.
    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    [DllImport("libc")]
    private static extern int getpgrp();
}

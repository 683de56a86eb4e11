using System.Runtime.InteropServices;

namespace TestFunctionExecutor;

/// <summary>Scripted crashes: leave at once, like a segfault or os._exit, without a graceful host shutdown.</summary>
internal static class ProcessExit
{
    public static void Crash(string reason)
    {
        FeLog.Error($"scripted crash ({reason}), exiting with code {TestFunctions.CrashExitCode}");
        Console.Out.Flush();
        Console.Error.Flush();
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            // _exit skips ProcessExit handlers, so a request still in flight cannot delay the exit.
            ExitImmediately(TestFunctions.CrashExitCode);
        }

        Environment.Exit(TestFunctions.CrashExitCode);
    }

    [DllImport("libc", EntryPoint = "_exit")]
    private static extern void ExitImmediately(int status);
}

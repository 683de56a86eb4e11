using System.Runtime.InteropServices;

namespace TestFunctionExecutor;

/// <summary>Scripted crashes and forced exits: leave at once, like a segfault or os._exit, without a graceful host shutdown.</summary>
internal static class ProcessExit
{
    public static void Crash(string reason) => Exit(TestFunctions.CrashExitCode, $"scripted crash ({reason})");

    /// <summary>Leaves at once with <paramref name="code"/> after one line on stderr.</summary>
    public static void Exit(int code, string reason)
    {
        FeLog.Error($"{reason}, exiting with code {code}");
        Console.Out.Flush();
        Console.Error.Flush();
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            // _exit skips ProcessExit handlers, so a request still in flight cannot delay the exit.
            ExitImmediately(code);
        }

        Environment.Exit(code);
    }

    [DllImport("libc", EntryPoint = "_exit")]
    private static extern void ExitImmediately(int status);
}

using System.Globalization;
using System.Runtime.InteropServices;

namespace Executor.FunctionExecutors.Tests.Infrastructure;

/// <summary>
/// Finds FE processes the way an operator would: by scanning /proc for the <c>--function-executor-id=</c> argument the
/// executor gives every FE. Independent of the executor's own bookkeeping (pid records), so it can judge it.
/// </summary>
internal static class FunctionExecutorProcessTable
{
    private const int SigKill = 9;

    /// <summary>Live (not zombie) processes started for <paramref name="functionExecutorId"/>.</summary>
    public static IReadOnlyList<int> Find(string functionExecutorId) => FindWithArgument("--function-executor-id=" + functionExecutorId);

    private static List<int> FindWithArgument(string argument)
    {
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var arguments = File.ReadAllText(Path.Combine(directory, "cmdline")).Split('\0');
                if (arguments.Contains(argument, StringComparer.Ordinal) && !IsZombie(pid))
                {
                    found.Add(pid);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked.
            }
        }

        return found;
    }

    public static bool IsAlive(int pid) => File.Exists($"/proc/{pid}/cmdline") && !IsZombie(pid);

    /// <summary>
    /// Test cleanup: SIGKILLs every FE process still carrying <c>--executor-id=&lt;id&gt;</c> (ids are unique per executor
    /// process, so these are processes this test caused to exist). Returns how many there were.
    /// </summary>
    public static int KillLeftoversOf(string executorId)
    {
        var leftovers = FindWithArgument("--executor-id=" + executorId);
        foreach (var pid in leftovers)
        {
            _ = Kill(pid, SigKill);
        }

        return leftovers.Count;
    }

    private static bool IsZombie(int pid)
    {
        try
        {
            // State is the first field after the parenthesised command name (which may itself contain spaces).
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var afterName = stat[(stat.LastIndexOf(')') + 1)..].TrimStart();
            return afterName.Length == 0 || afterName[0] is 'Z' or 'X';
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return true;
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}

using System.Runtime.InteropServices;
using Executor.TestHost;

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

    private static List<int> FindWithArgument(string argument) =>
        ProcessTable.FindByArguments(arguments => arguments.Contains(argument, StringComparer.Ordinal));

    public static bool IsAlive(int pid) => ProcessTable.IsAlive(pid);

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

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}

using System.Globalization;

namespace Executor.TestHost;

/// <summary>
/// Processes as an operator sees them in /proc, independent of the executor's own bookkeeping (pid records), so tests
/// can judge that bookkeeping: live (not zombie) processes whose command line matches.
/// </summary>
public static class ProcessTable
{
    /// <summary>Live processes whose command-line arguments (split on NUL) satisfy <paramref name="match"/>.</summary>
    public static List<int> FindByArguments(Func<string[], bool> match)
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
                if (match(arguments) && !IsZombie(pid))
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

    public static bool IsZombie(int pid)
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
}

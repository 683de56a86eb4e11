using System.Globalization;

namespace Executor.FunctionExecutors.Processes;

/// <summary>
/// Whose listening socket a connection to 127.0.0.1:&lt;port&gt; reaches, from /proc/net/tcp{,6} and /proc/&lt;pid&gt;/fd.
/// A successful connect alone does not prove the FE is listening: free-port discovery is racy, so another process
/// (e.g. a server that picked the same free port a moment earlier) may hold the port while the FE fails to bind it,
/// and the executor would then speak to a stranger.
/// </summary>
public static class LoopbackListenerOwner
{
    private const string Listen = "0A";

    // Local addresses (as /proc prints them) that accept connections to 127.0.0.1.
    private static readonly string[] CoversLoopbackV4 = ["0100007F", "00000000"];
    private static readonly string[] CoversLoopbackV6 = ["00000000000000000000000000000000", "0000000000000000FFFF00000100007F"];

    public enum Verdict
    {
        /// <summary>/proc cannot tell (not Linux, unreadable, or no visible listener).</summary>
        Unknown,

        /// <summary>The listener belongs to the process (or, with its group, to a member of its process group).</summary>
        Ours,

        /// <summary>Only other processes listen there.</summary>
        Foreign,
    }

    public static Verdict Check(int port, int processId, bool includeProcessGroup)
    {
        var listeners = new HashSet<string>(StringComparer.Ordinal);
        var readable = TryCollect("/proc/net/tcp", port, CoversLoopbackV4, listeners)
            | TryCollect("/proc/net/tcp6", port, CoversLoopbackV6, listeners);
        if (!readable || listeners.Count == 0)
        {
            return Verdict.Unknown;
        }

        var owners = new List<int> { processId };
        if (includeProcessGroup)
        {
            owners.AddRange(ProcStat.LiveGroupMembers(processId).Select(s => s.Pid).Where(p => p != processId));
        }

        return owners.Any(pid => HoldsAny(pid, listeners)) ? Verdict.Ours : Verdict.Foreign;
    }

    /// <summary>Adds the inodes of LISTEN sockets on <paramref name="port"/> bound to one of <paramref name="addresses"/>.</summary>
    private static bool TryCollect(string table, int port, string[] addresses, HashSet<string> inodes)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(table);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        var portHex = port.ToString("X4", CultureInfo.InvariantCulture);
        foreach (var line in lines.Skip(1))
        {
            // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 10 || fields[3] != Listen)
            {
                continue;
            }

            var local = fields[1].Split(':');
            if (local.Length == 2
                && local[1].Equals(portHex, StringComparison.OrdinalIgnoreCase)
                && addresses.Contains(local[0], StringComparer.OrdinalIgnoreCase)
                && fields[9] != "0")
            {
                inodes.Add($"socket:[{fields[9]}]");
            }
        }

        return true;
    }

    private static bool HoldsAny(int pid, HashSet<string> sockets)
    {
        try
        {
            foreach (var fd in Directory.EnumerateFiles($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/fd"))
            {
                if (new FileInfo(fd).LinkTarget is { } target && sockets.Contains(target))
                {
                    return true;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Gone, or not ours to look at: it holds nothing we can prove.
        }

        return false;
    }
}

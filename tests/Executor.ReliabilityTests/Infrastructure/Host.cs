using System.Globalization;
using System.Runtime.InteropServices;
using Executor.Protocol.ServerV1;
using Executor.TestHost;
using FakeIndexifyServer;

namespace Executor.ReliabilityTests.Infrastructure;

/// <summary>
/// Looks at the machine the way an operator would (/proc, the cache directory, the metrics page), independently of
/// the executor's own bookkeeping, so that it can judge it.
/// </summary>
internal static class Host
{
    /// <summary>Generous: other test projects load the same 2 cores.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    /// <summary>Live (not zombie) FE processes started by the executor with this id.</summary>
    public static IReadOnlyList<int> FunctionExecutorPids(string executorId) =>
        FindWithArgument(a => a.Contains("--executor-id=" + executorId, StringComparer.Ordinal) && a.Any(x => x.StartsWith("--function-executor-id=", StringComparison.Ordinal)));

    /// <summary>Live FE processes for one FE id.</summary>
    public static IReadOnlyList<int> FunctionExecutorPidsOf(string functionExecutorId) =>
        FindWithArgument(a => a.Contains("--function-executor-id=" + functionExecutorId, StringComparer.Ordinal));

    public static int KillFunctionExecutorsOf(string executorId)
    {
        var pids = FunctionExecutorPids(executorId);
        foreach (var pid in pids)
        {
            _ = kill(pid, 9);
        }

        return pids.Count;
    }

    public static Task WaitForNoProcessAsync(string functionExecutorId) =>
        Executor.Testing.Eventually.TrueAsync(() => FunctionExecutorPidsOf(functionExecutorId).Count == 0, Patience, $"FE {functionExecutorId} has no process left");

    public static bool IsAlive(int pid) => ProcessTable.IsAlive(pid);

    /// <summary>VmRSS in KiB and the thread count from /proc/PID/status, and the number of open descriptors.</summary>
    public static (long RssKib, int Threads, int FileDescriptors) Usage(int pid)
    {
        long rss = 0;
        var threads = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("Threads:", StringComparison.Ordinal))
            {
                threads = int.Parse(line["Threads:".Length..].Trim(), CultureInfo.InvariantCulture);
            }
        }

        return (rss, threads, Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length);
    }

    /// <summary>Sum of all samples of a Prometheus counter (every label set).</summary>
    public static double MetricSum(string exposition, string name)
    {
        double sum = 0;
        foreach (var line in exposition.Split('\n'))
        {
            if (line.StartsWith('#') || !line.StartsWith(name, StringComparison.Ordinal))
            {
                continue;
            }

            var rest = line[name.Length..];
            if (rest.Length == 0 || (rest[0] != '{' && rest[0] != ' '))
            {
                continue;
            }

            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // "name{labels} value [timestamp]": the value follows the closing brace.
            var valueIndex = line.LastIndexOf('}') is var brace and >= 0 ? line[(brace + 1)..].Trim().Split(' ')[0] : parts[1];
            sum += double.Parse(valueIndex, CultureInfo.InvariantCulture);
        }

        return sum;
    }

    public static async Task<double> RejectedPiecesAsync(ExecutorProcess executor) =>
        MetricSum((await executor.GetAsync("/monitoring/metrics")).Body, "desired_state_rejected_pieces_total");

    /// <summary>Nothing left behind by FEs: no process, no pid record, no work directory.</summary>
    public static async Task AssertNoFunctionExecutorLeftoversAsync(string executorId, string cachePath, TimeSpan? timeout = null)
    {
        await Executor.Testing.Eventually.TrueAsync(
            () => FunctionExecutorPids(executorId).Count == 0
                && PidRecords(cachePath).Length == 0
                && WorkDirectories(cachePath).Length == 0,
            timeout ?? Patience,
            $"no FE process, pid record or work directory left (processes: {string.Join(',', FunctionExecutorPids(executorId))}, records: {string.Join(',', PidRecords(cachePath))}, work: {string.Join(',', WorkDirectories(cachePath))})");
    }

    public static string[] PidRecords(string cachePath)
    {
        var dir = Path.Combine(cachePath, "fe-processes");
        return Directory.Exists(dir) ? Directory.GetFiles(dir, "*.json") : [];
    }

    public static string[] WorkDirectories(string cachePath)
    {
        var dir = Path.Combine(cachePath, "fe-work");
        return Directory.Exists(dir) ? Directory.GetDirectories(dir) : [];
    }

    /// <summary>Local TCP ports in LISTEN state owned by any of <paramref name="pids"/> (via their socket inodes).</summary>
    public static IReadOnlySet<int> ListeningPorts(IEnumerable<int> pids)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pid in pids)
        {
            try
            {
                foreach (var fd in Directory.GetFileSystemEntries($"/proc/{pid}/fd"))
                {
                    var target = new FileInfo(fd).LinkTarget;
                    if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
                    {
                        inodes.Add(target[8..^1]);
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }

        var ports = new HashSet<int>();
        foreach (var (address, port, inode) in ListeningSockets())
        {
            _ = address;
            if (inodes.Contains(inode))
            {
                ports.Add(port);
            }
        }

        return ports;
    }

    /// <summary>Every TCP LISTEN socket on the host: hex local address, port and inode.</summary>
    public static IEnumerable<(string Address, int Port, string Inode)> ListeningSockets()
    {
        foreach (var file in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(file))
            {
                continue;
            }

            foreach (var line in File.ReadLines(file).Skip(1))
            {
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length < 10 || f[3] != "0A")
                {
                    continue;
                }

                var local = f[1].Split(':');
                yield return (local[0], int.Parse(local[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture), f[9]);
            }
        }
    }

    public static Task<ReceivedReport> WaitForStatusAsync(this FakeServer server, string functionExecutorId, FunctionExecutorStatus status, long afterSequence = 0) =>
        server.WaitForFunctionExecutorStatusAsync(functionExecutorId, status, Patience, afterSequence);

    public static FunctionExecutorState? LastStateOf(this FakeServer server, string functionExecutorId) => server.LastReportedStateOf(functionExecutorId);

    private static List<int> FindWithArgument(Func<string[], bool> match) => ProcessTable.FindByArguments(match);

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Executor.Testing;

namespace Executor.Bench;

/// <summary>
/// The real executor process under test: its own launcher (unlike Executor.TestHost.ExecutorProcess it takes any
/// executable, e.g. the self-contained ReadyToRun publish, runs at production verbosity and times startup), plus
/// /proc readers for RSS and CPU and a Prometheus scraper.
/// </summary>
public sealed class ExecutorHandle : IAsyncDisposable
{
    private static readonly ConcurrentDictionary<int, Process> Live = new();
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _tail = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private long _lines;

    private ExecutorHandle(Process process, int monitoringPort, long startedAt)
    {
        _process = process;
        MonitoringPort = monitoringPort;
        StartedAt = startedAt;
        process.OutputDataReceived += (_, e) => Capture(e.Data);
        process.ErrorDataReceived += (_, e) => Capture(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int MonitoringPort { get; }

    public long StartedAt { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Lines the executor wrote to stdout/stderr (its log volume is part of its cost).</summary>
    public long OutputLines => Interlocked.Read(ref _lines);

    public string Tail => string.Join('\n', _tail);

    public static ExecutorHandle Start(string executable, string serverAddress, string cachePath, IReadOnlyDictionary<string, string>? environment = null)
    {
        var monitoringPort = FreePort.Get();
        var startInfo = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     "--grpc-server-addr", serverAddress,
                     "--executor-cache-path", cachePath,
                     "--monitoring-server-port", monitoringPort.ToString(CultureInfo.InvariantCulture),
                     "--silo-port", FreePort.Get().ToString(CultureInfo.InvariantCulture),
                     "--gateway-port", FreePort.Get().ToString(CultureInfo.InvariantCulture),
                     "--function-executor-command", RepositoryPaths.TestFunctionExecutor,
                 })
        {
            startInfo.ArgumentList.Add(arg);
        }

        // Same short FE periods as the end-to-end tests (teardown stays quick); production values otherwise.
        startInfo.Environment["EXECUTOR__HealthCheckInterval"] = "00:00:01";
        startInfo.Environment["EXECUTOR__HealthCheckTimeout"] = "00:00:01";
        startInfo.Environment["EXECUTOR__FunctionExecutorStopGracePeriod"] = "00:00:01";
        startInfo.Environment.Remove("DOTNET_gcServer"); // inherited from CI's environment otherwise
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[key] = value;
        }

        var startedAt = Stopwatch.GetTimestamp();
        var process = Process.Start(startInfo) ?? throw new InvalidOperationException("executor did not start");
        Live[process.Id] = process;
        return new ExecutorHandle(process, monitoringPort, startedAt);
    }

    /// <summary>Polls /monitoring/startup every 5 ms; returns process start → first 200.</summary>
    public async Task<TimeSpan> WaitForStartupAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var uri = new Uri($"http://127.0.0.1:{MonitoringPort}/monitoring/startup");
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                throw new BenchFailure($"executor exited with {_process.ExitCode} during startup:\n{Tail}");
            }

            try
            {
                using var response = await http.GetAsync(uri, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return Stopwatch.GetElapsedTime(StartedAt);
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new BenchFailure($"executor /monitoring/startup not 200 within {timeout.TotalSeconds} s:\n{Tail}");
            }

            await Task.Delay(5, cancellationToken);
        }
    }

    public async Task<string> GetMetricsTextAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri($"http://127.0.0.1:{MonitoringPort}/monitoring/metrics"), cancellationToken);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    /// <summary>Sum of all samples named exactly <paramref name="name"/> (any labels) in Prometheus text.</summary>
    public static double PromValue(string text, string name)
    {
        var total = 0.0;
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(name, StringComparison.Ordinal) || line.Length <= name.Length || (line[name.Length] != ' ' && line[name.Length] != '{'))
            {
                continue;
            }

            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var valueIndex = line[name.Length] == '{' ? Array.FindIndex(parts, p => p.EndsWith('}')) + 1 : 1;
            if (valueIndex > 0 && valueIndex < parts.Length && double.TryParse(parts[valueIndex], NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            {
                total += v;
            }
        }

        return total;
    }

    public long RssBytes() => ProcFs.RssBytes(Pid);

    public double CpuSeconds() => ProcFs.CpuSeconds(Pid);

    public int[] ChildPids() => ProcFs.Children(Pid);

    /// <summary>SIGTERM, wait; SIGKILL (and orphaned FEs) if it does not go.</summary>
    public async ValueTask DisposeAsync()
    {
        var children = HasExited ? [] : ChildPids();
        try
        {
            if (!_process.HasExited)
            {
                _ = Libc.kill(_process.Id, 15);
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                await _process.WaitForExitAsync(cts.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            Kill(_process, children);
            Live.TryRemove(_process.Id, out _);
            _process.Dispose();
            _http.Dispose();
        }
    }

    /// <summary>Watchdog path: kill every executor still running, with its FE children.</summary>
    public static void KillAll()
    {
        foreach (var process in Live.Values)
        {
            try
            {
                Kill(process, process.HasExited ? [] : ProcFs.Children(process.Id));
            }
            catch (Exception)
            {
                // best effort
            }
        }
    }

    private static void Kill(Process process, int[] children)
    {
        if (!process.HasExited)
        {
            _ = Libc.kill(process.Id, 9);
            process.WaitForExit(5000);
        }

        foreach (var child in children)
        {
            _ = Libc.kill(child, 9);
        }
    }

    private void Capture(string? line)
    {
        if (line is null)
        {
            return;
        }

        Interlocked.Increment(ref _lines);
        _tail.Enqueue(line);
        while (_tail.Count > 200 && _tail.TryDequeue(out _))
        {
        }
    }
}

internal static class Libc
{
    [DllImport("libc", SetLastError = true)]
    internal static extern int kill(int pid, int sig);
}

/// <summary>/proc readers (Linux only).</summary>
public static class ProcFs
{
    private static readonly double TicksPerSecond = 100.0; // sysconf(_SC_CLK_TCK) is 100 on Linux x64

    public static long RssBytes(int pid) => StatusBytes(pid, "VmRSS:");

    /// <summary>A "kB" field of /proc/pid/status (VmRSS:, RssAnon:, RssFile:), in bytes.</summary>
    public static long StatusBytes(int pid, string field)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                var kb = long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                return kb * 1024;
            }
        }

        return 0;
    }

    /// <summary>utime + stime of the process (all threads), in seconds.</summary>
    public static double CpuSeconds(int pid)
    {
        var fields = StatFields(pid);
        return fields is null ? 0 : (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
    }

    /// <summary>Processes whose parent is <paramref name="pid"/>.</summary>
    public static int[] Children(int pid)
    {
        var result = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var candidate))
            {
                continue;
            }

            var fields = StatFields(candidate);
            if (fields is not null && int.Parse(fields[1], CultureInfo.InvariantCulture) == pid)
            {
                result.Add(candidate);
            }
        }

        return [.. result];
    }

    /// <summary>Fields of /proc/pid/stat after the "(comm)" field: [0]=state, [1]=ppid, [11]=utime, [12]=stime.</summary>
    private static string[]? StatFields(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            var close = text.LastIndexOf(')');
            return text[(close + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}

public sealed class BenchFailure(string message) : Exception(message);

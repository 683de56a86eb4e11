using System.Globalization;

namespace Executor.FunctionExecutors.Processes;

/// <summary>
/// Best-effort OOM-kill counters. FEs run in the executor's cgroup, so its counters go up when the kernel OOM-kills one:
/// cgroup v2 <c>memory.events</c> (and the hybrid <c>unified/</c> mount), cgroup v1 <c>memory.oom_control</c>;
/// the host-wide <c>/proc/vmstat</c> only when no cgroup counter is readable.
/// </summary>
internal sealed class OomKillCounter
{
    private readonly IReadOnlyList<(string Path, string Key)> _sources;

    private OomKillCounter(IReadOnlyList<(string Path, string Key)> sources) => _sources = sources;

    public static OomKillCounter ForCurrentProcess()
    {
        var sources = new List<(string, string)>();
        try
        {
            foreach (var line in File.ReadAllLines("/proc/self/cgroup"))
            {
                // "hierarchy-id:controllers:path"; v2 is "0::/path".
                var parts = line.Split(':', 3);
                if (parts.Length != 3)
                {
                    continue;
                }

                var relative = parts[2].TrimStart('/');
                if (parts[0] == "0" && parts[1].Length == 0)
                {
                    sources.Add((Path.Combine("/sys/fs/cgroup", relative, "memory.events"), "oom_kill"));
                    sources.Add((Path.Combine("/sys/fs/cgroup/unified", relative, "memory.events"), "oom_kill"));
                }
                else if (parts[1].Split(',').Contains("memory"))
                {
                    sources.Add((Path.Combine("/sys/fs/cgroup/memory", relative, "memory.oom_control"), "oom_kill"));
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        sources.RemoveAll(s => ReadCounter(s.Item1, s.Item2) is null);
        if (sources.Count == 0)
        {
            sources.Add(("/proc/vmstat", "oom_kill"));
        }

        return new OomKillCounter(sources);
    }

    /// <summary>Current values, one per source (null when unreadable).</summary>
    public long?[] Snapshot() => _sources.Select(s => ReadCounter(s.Path, s.Key)).ToArray();

    public bool IncreasedSince(long?[] before)
    {
        var now = Snapshot();
        for (var i = 0; i < now.Length && i < before.Length; i++)
        {
            if (now[i] is { } after && before[i] is { } earlier && after > earlier)
            {
                return true;
            }
        }

        return false;
    }

    internal static long? ReadCounter(string path, string key)
    {
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                var space = line.IndexOf(' ', StringComparison.Ordinal);
                if (space > 0
                    && line.AsSpan(0, space).SequenceEqual(key)
                    && long.TryParse(line.AsSpan(space + 1).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                {
                    return value;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }
}

using System.Globalization;

namespace Executor.HostResources;

/// <summary>
/// Parsers for /proc/meminfo and the cgroup memory limit files. Upstream reports the host's physical memory and
/// ignores cgroups; inside a memory-limited container that over-reports, so the lowest limit on our cgroup's path
/// (cgroup v2 memory.max, or v1 memory.limit_in_bytes on hybrid hosts) wins when it is below MemTotal.
/// </summary>
public static class LinuxMemoryInfo
{
    public const string MemInfoPath = "/proc/meminfo";
    public const string SelfCgroupPath = "/proc/self/cgroup";
    public const string CgroupV2Root = "/sys/fs/cgroup";
    public const string CgroupV1MemoryRoot = "/sys/fs/cgroup/memory";

    // cgroup v1 writes "no limit" as LONG_MAX rounded down to a page; anything this large is no limit.
    private const ulong UnlimitedThreshold = 1UL << 62;

    /// <summary>MemTotal in bytes ("MemTotal:  131981020 kB"), or null when absent or malformed.</summary>
    public static ulong? ParseMemTotalBytes(string? meminfo)
    {
        if (meminfo is null)
        {
            return null;
        }

        foreach (var line in meminfo.Split('\n'))
        {
            if (!line.StartsWith("MemTotal:", StringComparison.Ordinal))
            {
                continue;
            }

            var parts = line["MemTotal:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length is < 1 or > 2 || !ulong.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                return null;
            }

            if (parts.Length == 1)
            {
                return value;
            }

            return parts[1] == "kB" && value <= ulong.MaxValue / 1024 ? value * 1024 : null;
        }

        return null;
    }

    /// <summary>A limit file's value in bytes, or null for "max", absurdly large values and garbage.</summary>
    public static ulong? ParseLimit(string? content)
    {
        var text = content?.Trim();
        if (string.IsNullOrEmpty(text) || text == "max")
        {
            return null;
        }

        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value < UnlimitedThreshold ? value : null;
    }

    /// <summary>
    /// The lowest memory limit applying to this process, or null when there is none. Walks from our cgroup up to
    /// the mount root because a parent's limit caps its children too; when /proc/self/cgroup names a path that is
    /// not visible in the mount (a container without a cgroup namespace), the walk ends at the mount root, which is
    /// then our own cgroup.
    /// </summary>
    public static ulong? ReadCgroupMemoryLimit(IHostFileSystem fileSystem)
    {
        ArgumentNullException.ThrowIfNull(fileSystem);
        var selfCgroup = fileSystem.TryReadAllText(SelfCgroupPath);
        if (selfCgroup is null)
        {
            return null;
        }

        ulong? lowest = null;
        foreach (var line in selfCgroup.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // "hierarchy-id:controllers:path"; v2 is "0::/path", v1 memory is "N:memory:/path" (controllers may be joined with ',').
            var fields = line.Split(':', 3);
            if (fields.Length != 3 || !fields[2].StartsWith('/'))
            {
                continue;
            }

            string? root = null;
            string? file = null;
            if (fields[0] == "0" && fields[1].Length == 0)
            {
                (root, file) = (CgroupV2Root, "memory.max");
            }
            else if (fields[1].Split(',').Contains("memory"))
            {
                (root, file) = (CgroupV1MemoryRoot, "memory.limit_in_bytes");
            }

            if (root is null || file is null)
            {
                continue;
            }

            var limit = LowestOnPath(fileSystem, root, fields[2], file);
            if (limit is { } l && (lowest is null || l < lowest))
            {
                lowest = l;
            }
        }

        return lowest;
    }

    private static ulong? LowestOnPath(IHostFileSystem fileSystem, string root, string cgroupPath, string file)
    {
        ulong? lowest = null;
        var segments = cgroupPath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var depth = segments.Length; depth >= 0; depth--)
        {
            var directory = depth == 0 ? root : root + "/" + string.Join('/', segments.Take(depth));
            if (ParseLimit(fileSystem.TryReadAllText(directory + "/" + file)) is { } limit && (lowest is null || limit < lowest))
            {
                lowest = limit;
            }
        }

        return lowest;
    }
}

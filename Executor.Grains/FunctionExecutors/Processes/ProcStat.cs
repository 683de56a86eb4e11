using System.Globalization;

namespace Executor.FunctionExecutors.Processes;

/// <summary>The fields of <c>/proc/&lt;pid&gt;/stat</c> we rely on.</summary>
/// <param name="StartTime">Field 22, clock ticks since boot: together with the pid it identifies a process even after pid reuse.</param>
internal readonly record struct ProcStat(int Pid, char State, int ParentPid, int ProcessGroupId, int SessionId, ulong StartTime)
{
    public bool IsZombie => State is 'Z' or 'X' or 'x';

    public static bool TryRead(int pid, out ProcStat stat)
    {
        stat = default;
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }

        return TryParse(text, out stat);
    }

    /// <summary>Parses a stat line. The command (field 2) is in parentheses and may contain spaces and ')', so split after the last ')'.</summary>
    public static bool TryParse(string text, out ProcStat stat)
    {
        stat = default;
        var open = text.IndexOf('(', StringComparison.Ordinal);
        var close = text.LastIndexOf(')');
        if (open <= 0 || close < open)
        {
            return false;
        }

        // After ')' come fields 3.. : state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
        // utime stime cutime cstime priority nice num_threads itrealvalue starttime(22).
        var rest = text[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (rest.Length < 20
            || !int.TryParse(text.AsSpan(0, open).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            || rest[0].Length != 1
            || !int.TryParse(rest[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ppid)
            || !int.TryParse(rest[2], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var pgrp)
            || !int.TryParse(rest[3], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var session)
            || !ulong.TryParse(rest[19], NumberStyles.None, CultureInfo.InvariantCulture, out var startTime))
        {
            return false;
        }

        stat = new ProcStat(pid, rest[0][0], ppid, pgrp, session, startTime);
        return true;
    }

    /// <summary>Every process visible in /proc (racy by nature: entries vanish while we read).</summary>
    public static IEnumerable<ProcStat> All()
    {
        IEnumerable<string> entries;
        try
        {
            entries = Directory.EnumerateDirectories("/proc");
        }
        catch (IOException)
        {
            yield break;
        }

        foreach (var entry in entries)
        {
            if (int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && TryRead(pid, out var stat))
            {
                yield return stat;
            }
        }
    }

    /// <summary>Live (non-zombie) members of a process group.</summary>
    public static List<ProcStat> LiveGroupMembers(int processGroupId)
        => All().Where(s => s.ProcessGroupId == processGroupId && !s.IsZombie).ToList();

    /// <summary>True when the process identified by pid + start time is gone or a zombie (dead, waiting for its parent).</summary>
    public static bool IsGoneOrZombie(int pid, ulong startTime)
        => !TryRead(pid, out var stat) || stat.StartTime != startTime || stat.IsZombie;
}

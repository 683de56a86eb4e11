using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Executor.FunctionExecutors.Processes;

/// <summary>
/// Kills FE processes left behind by an executor that died without stopping them (upstream leaves them running).
/// Run once at executor startup, before any FE is launched and before anything wipes the cache directory.
/// Only processes named by a pid record whose start time still matches (or, when that leader is gone, the leftover
/// members of its own process group) are touched.
/// </summary>
public sealed class OrphanFunctionExecutorReaper
{
    private readonly FunctionExecutorProcessOptions _options;
    private readonly ILogger<OrphanFunctionExecutorReaper> _logger;
    private readonly TimeProvider _timeProvider;

    public OrphanFunctionExecutorReaper(
        IOptions<FunctionExecutorProcessOptions> options,
        ILogger<OrphanFunctionExecutorReaper> logger,
        TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _logger = logger;
        _timeProvider = timeProvider;
    }

    /// <summary>Kills every recorded orphan, deletes every record; returns how many FEs were killed.</summary>
    public async Task<int> ReapAsync(CancellationToken cancellationToken)
    {
        var paths = new FunctionExecutorProcessPaths(_options.CachePath);
        var store = new PidRecordStore(paths.ProcessRecords);
        var records = 0;
        var killed = 0;
        foreach (var (path, record) in store.ReadAll())
        {
            cancellationToken.ThrowIfCancellationRequested();
            records++;
            if (record is null)
            {
                ProcessLog.OrphanRecordUnreadable(_logger, path);
            }
            else if (await ReapOneAsync(record, path, cancellationToken).ConfigureAwait(false))
            {
                killed++;
            }

            if (record is not null)
            {
                FunctionExecutorProcessPaths.TryDeleteDirectory(paths.WorkDirectory(record.FunctionExecutorId));
            }

            PidRecordStore.Delete(path);
        }

        ProcessLog.ReapFinished(_logger, records, store.Directory, killed);
        return killed;
    }

    private async Task<bool> ReapOneAsync(PidRecord record, string path, CancellationToken cancellationToken)
    {
        if (record.BootId is not null && BootId.Value is not null && record.BootId != BootId.Value)
        {
            // Nothing survives a reboot, and start times of another boot are meaningless.
            ProcessLog.OrphanFromOtherBoot(_logger, record.FunctionExecutorId, path);
            return false;
        }

        if (record.Pid <= 1 || record.Pid == Environment.ProcessId)
        {
            ProcessLog.OrphanGone(_logger, record.FunctionExecutorId, record.Pid, path);
            return false;
        }

        var victims = FindVictims(record);
        if (victims.Count == 0)
        {
            ProcessLog.OrphanGone(_logger, record.FunctionExecutorId, record.Pid, path);
            return false;
        }

        Kill(record, victims);
        var start = _timeProvider.GetTimestamp();
        var delay = TimeSpan.FromMilliseconds(5);
        while (victims.Any(v => !ProcStat.IsGoneOrZombie(v.Pid, v.StartTime)))
        {
            if (_timeProvider.GetElapsedTime(start) >= FunctionExecutorProcess.KillTimeout)
            {
                ProcessLog.OrphanKillTimedOut(_logger, record.FunctionExecutorId, record.Pid);
                break;
            }

            await Task.Delay(delay, _timeProvider, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 100));
            Kill(record, victims);
        }

        ProcessLog.OrphanKilled(_logger, record.FunctionExecutorId, record.Pid, record.OwnsProcessGroup ? record.Pid : 0, victims.Count, record.ExecutorPid, path);
        return true;
    }

    /// <summary>The recorded FE (if its pid still means the same process) plus the live members of its process group.</summary>
    private static List<ProcStat> FindVictims(PidRecord record)
    {
        var victims = new List<ProcStat>();
        var leaderPresent = ProcStat.TryRead(record.Pid, out var leader);
        var leaderMatches = leaderPresent && leader.StartTime == record.StartTime;
        if (leaderMatches && !leader.IsZombie)
        {
            victims.Add(leader);
        }

        if (!record.OwnsProcessGroup || (leaderPresent && !leaderMatches))
        {
            // The pid belongs to another process now. While any member of the old group lived the kernel would not
            // have reused the id, so there is no group of ours left: touch nothing.
            return victims;
        }

        // Descendants of the FE stay in its group even after the FE itself died.
        victims.AddRange(ProcStat.LiveGroupMembers(record.Pid)
            .Where(s => s.Pid != record.Pid && s.StartTime >= record.StartTime && s.Pid != Environment.ProcessId));
        return victims;
    }

    private static void Kill(PidRecord record, List<ProcStat> victims)
    {
        if (record.OwnsProcessGroup)
        {
            Libc.SignalGroup(record.Pid, Libc.SIGKILL);
        }

        foreach (var victim in victims)
        {
            if (!ProcStat.IsGoneOrZombie(victim.Pid, victim.StartTime))
            {
                Libc.SignalProcess(victim.Pid, Libc.SIGKILL);
            }
        }
    }
}

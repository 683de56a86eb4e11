namespace Executor.FunctionExecutors.Processes;

/// <summary>
/// On-disk note of one running FE process, so a restarted executor can find and kill what a crashed one left behind
/// (upstream leaves them running forever).
/// </summary>
/// <param name="StartTime">Field 22 of /proc/&lt;pid&gt;/stat, to never mistake a recycled pid for the FE.</param>
/// <param name="BootId">/proc/sys/kernel/random/boot_id: start times are only comparable within one boot.</param>
/// <param name="OwnsProcessGroup">True when the FE was started through setsid, so its pid is also its process group id.</param>
internal sealed record PidRecord(
    string FunctionExecutorId,
    int Pid,
    ulong StartTime,
    string? BootId,
    bool OwnsProcessGroup,
    int ExecutorPid,
    string Command,
    int Port,
    DateTimeOffset CreatedAt);

using Microsoft.Extensions.Logging;

namespace Executor.HostResources;

/// <summary>Source-generated log messages of host resource detection (event ids 1100-1199, after §11).</summary>
internal static partial class HostResourcesLog
{
    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning,
        Message = "Unknown GPU model '{ProductName}' (index {Index}, uuid {Uuid}) was detected; it is not offered to the Server")]
    public static partial void UnknownGpuModel(this ILogger logger, string productName, int index, string uuid);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Skipping unparseable nvidia-smi output line {LineNumber} ({Reason}): {Line}")]
    public static partial void NvidiaSmiLineSkipped(this ILogger logger, int lineNumber, string reason, string line);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Information, Message = "nvidia-smi could not be started from '{Path}', assuming no GPUs: {Reason}")]
    public static partial void NvidiaSmiNotAvailable(this ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "nvidia-smi exited with code {ExitCode}, assuming no GPUs; stderr: {Stderr}")]
    public static partial void NvidiaSmiFailed(this ILogger logger, int exitCode, string stderr);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Warning, Message = "nvidia-smi did not finish within {Timeout}, killed it and assuming no GPUs")]
    public static partial void NvidiaSmiTimedOut(this ILogger logger, TimeSpan timeout);

    [LoggerMessage(EventId = 1106, Level = LogLevel.Warning,
        Message = "{Count} GPU(s) of model {Model} are not offered: a report carries one GPU model and the first usable GPU is a {OfferedModel}")]
    public static partial void GpusOfOtherModelNotOffered(this ILogger logger, int count, GpuModel model, GpuModel offeredModel);

    [LoggerMessage(EventId = 1107, Level = LogLevel.Warning, Message = "Could not read MemTotal from {Path}; using the runtime's view of available memory")]
    public static partial void MemTotalUnreadable(this ILogger logger, string path);

    [LoggerMessage(EventId = 1108, Level = LogLevel.Information,
        Message = "cgroup memory limit {LimitBytes} bytes is below the host's {MemTotalBytes} bytes; reporting the limit")]
    public static partial void CgroupMemoryLimitApplied(this ILogger logger, ulong limitBytes, ulong memTotalBytes);

    [LoggerMessage(EventId = 1109, Level = LogLevel.Warning, Message = "Could not determine the size of the file system holding {Path}; reporting 0 disk bytes")]
    public static partial void DiskSizeUnknown(this ILogger logger, string path);

    [LoggerMessage(EventId = 1110, Level = LogLevel.Information,
        Message = "Detected host resources: {CpuCount} CPUs, {MemoryMiB} MiB memory, {DiskMiB} MiB disk (file system of {DiskPath}), {GpuCount} GPU(s) offered of model {GpuModel}, {DetectedGpuCount} detected")]
    public static partial void HostResourcesDetected(this ILogger logger, int cpuCount, ulong memoryMiB, ulong diskMiB, string diskPath, int gpuCount, GpuModel gpuModel, int detectedGpuCount);

    [LoggerMessage(EventId = 1111, Level = LogLevel.Information, Message = "GPU detection is disabled by configuration")]
    public static partial void GpuDetectionDisabled(this ILogger logger);

    [LoggerMessage(EventId = 1112, Level = LogLevel.Information,
        Message = "Function executor {FunctionExecutorId} holds {CpuMsPerSec} cpu_ms_per_sec, {MemoryMiB} MiB memory, {DiskMiB} MiB disk, GPUs [{Gpus}]")]
    public static partial void ResourcesReserved(this ILogger logger, string functionExecutorId, uint cpuMsPerSec, ulong memoryMiB, ulong diskMiB, string gpus);

    [LoggerMessage(EventId = 1113, Level = LogLevel.Error, Message = "Function executor {FunctionExecutorId} does not fit on this host: {Reason}")]
    public static partial void ResourcesRefused(this ILogger logger, string functionExecutorId, string reason);

    [LoggerMessage(EventId = 1114, Level = LogLevel.Information, Message = "Function executor {FunctionExecutorId} released its resources")]
    public static partial void ResourcesReleased(this ILogger logger, string functionExecutorId);
}

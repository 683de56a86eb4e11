namespace Executor.FunctionExecutors;

/// <summary>
/// Free space of the file system holding the executor cache. An FE writes its code, working files and logs there;
/// starting one on a full disk only fails later and less clearly, so the start is refused up front.
/// </summary>
public static class CacheSpace
{
    /// <summary>Why an FE must not start for lack of space, or null when there is enough (or it cannot be measured).</summary>
    public static string? Shortfall(string cachePath, long minimumFreeBytes)
    {
        if (minimumFreeBytes <= 0)
        {
            return null;
        }

        long free;
        try
        {
            // On Unix DriveInfo statvfs()es any path; the cache directory exists once the executor has started.
            free = new DriveInfo(cachePath).AvailableFreeSpace;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }

        return free >= minimumFreeBytes
            ? null
            : $"the cache file system at {cachePath} has {free} bytes free; starting a function executor needs at least {minimumFreeBytes} (Executor:MinFreeCacheBytes)";
    }
}

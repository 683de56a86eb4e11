namespace Executor.HostResources;

/// <summary>The few file system facts host detection needs; a seam so /proc and cgroup parsing are tested with fake files.</summary>
public interface IHostFileSystem
{
    /// <summary>The whole file, or null when it does not exist or cannot be read.</summary>
    string? TryReadAllText(string path);

    bool DirectoryExists(string path);

    /// <summary>Total size in bytes of the file system holding <paramref name="path"/> (an existing path), or null if unknown.</summary>
    long? TryGetFileSystemTotalBytes(string path);
}

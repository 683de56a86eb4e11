namespace Executor.HostResources;

/// <summary>The real file system.</summary>
public sealed class HostFileSystem : IHostFileSystem
{
    public string? TryReadAllText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            return null;
        }
    }

    public bool DirectoryExists(string path) => Directory.Exists(path);

    public long? TryGetFileSystemTotalBytes(string path)
    {
        try
        {
            // On Unix DriveInfo accepts any path and statvfs()es it, so this is the size of the file system holding it.
            return new DriveInfo(path).TotalSize;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }
}

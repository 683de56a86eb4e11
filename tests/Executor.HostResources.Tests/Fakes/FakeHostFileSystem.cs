namespace Executor.HostResources.Tests.Fakes;

/// <summary>An in-memory file system: files by path, a set of existing directories and file system sizes by path.</summary>
public sealed class FakeHostFileSystem : IHostFileSystem
{
    public Dictionary<string, string> Files { get; } = new(StringComparer.Ordinal);

    public HashSet<string> Directories { get; } = new(StringComparer.Ordinal) { "/" };

    public Dictionary<string, long> FileSystemSizes { get; } = new(StringComparer.Ordinal);

    public List<string> SizeQueries { get; } = [];

    public string? TryReadAllText(string path) => Files.GetValueOrDefault(path);

    public bool DirectoryExists(string path) => Directories.Contains(path);

    public long? TryGetFileSystemTotalBytes(string path)
    {
        SizeQueries.Add(path);
        return FileSystemSizes.TryGetValue(path, out var size) ? size : null;
    }
}

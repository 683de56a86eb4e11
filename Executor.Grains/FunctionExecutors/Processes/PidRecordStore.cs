using System.Text.Json;

namespace Executor.FunctionExecutors.Processes;

/// <summary>The <c>&lt;cache&gt;/fe-processes/</c> directory: one JSON file per FE process.</summary>
internal sealed class PidRecordStore(string directory)
{
    public string Directory { get; } = directory;

    public string PathFor(string functionExecutorId) => Path.Combine(Directory, FileNames.Safe(functionExecutorId) + ".json");

    /// <summary>Writes atomically (temp file + rename) so a crash never leaves a half-written record.</summary>
    public string Write(PidRecord record)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var path = PathFor(record.FunctionExecutorId);
        var temp = Path.Combine(Directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(record, PidRecordJsonContext.Default.PidRecord));
        File.Move(temp, path, overwrite: true);
        return path;
    }

    public static void Delete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>All records; unreadable ones come back with a null record so the caller can log and delete them.</summary>
    public IEnumerable<(string Path, PidRecord? Record)> ReadAll()
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            yield break;
        }

        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "*.json").ToList())
        {
            PidRecord? record;
            try
            {
                record = JsonSerializer.Deserialize(File.ReadAllBytes(path), PidRecordJsonContext.Default.PidRecord);
            }
            catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
            {
                record = null;
            }

            yield return (path, record);
        }

        // Leftover temp files from a crash mid-write.
        foreach (var temp in System.IO.Directory.EnumerateFiles(Directory, ".*.tmp").ToList())
        {
            Delete(temp);
        }
    }
}

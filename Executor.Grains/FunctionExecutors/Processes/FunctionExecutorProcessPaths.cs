namespace Executor.FunctionExecutors.Processes;

/// <summary>Where FE process bookkeeping lives under the executor cache.</summary>
internal sealed class FunctionExecutorProcessPaths(string cachePath)
{
    public string Root { get; } = Path.GetFullPath(cachePath);

    /// <summary>Pid records (<see cref="PidRecord"/>).</summary>
    public string ProcessRecords => Path.Combine(Root, "fe-processes");

    /// <summary>Diagnostics logs (stdout + stderr of each FE).</summary>
    public string Logs => Path.Combine(Root, "fe-logs");

    /// <summary>Per-FE working directories, removed when the FE is stopped.</summary>
    public string Work => Path.Combine(Root, "fe-work");

    public string LogPath(string functionExecutorId) => Path.Combine(Logs, FileNames.Safe(functionExecutorId) + ".log");

    public string WorkDirectory(string functionExecutorId) => Path.Combine(Work, FileNames.Safe(functionExecutorId));

    public static void TryDeleteDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

namespace Executor.FunctionExecutors.Processes;

/// <summary>The kernel's boot id; process start times from another boot mean nothing.</summary>
internal static class BootId
{
    private static readonly Lazy<string?> Current = new(Read);

    public static string? Value => Current.Value;

    private static string? Read()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}

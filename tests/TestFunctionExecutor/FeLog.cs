namespace TestFunctionExecutor;

/// <summary>
/// One-line diagnostics. The executor captures the FE's stdout/stderr into a file, so lifecycle
/// events go to stdout and problems to stderr, each line prefixed with the FE id.
/// </summary>
internal static class FeLog
{
    private static string _prefix = "test-function-executor";

    public static void SetFunctionExecutorId(string functionExecutorId)
    {
        if (functionExecutorId.Length > 0)
        {
            _prefix = $"test-function-executor[{functionExecutorId}]";
        }
    }

    public static void Info(string message) => Console.Out.WriteLine($"{_prefix}: {message}");

    public static void Error(string message) => Console.Error.WriteLine($"{_prefix}: {message}");
}

namespace Executor.FunctionExecutors.Processes;

/// <summary>The Function Executor process could not be started or never started listening.</summary>
public sealed class FunctionExecutorLaunchException : Exception
{
    public FunctionExecutorLaunchException(string message)
        : base(message)
    {
    }

    public FunctionExecutorLaunchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public FunctionExecutorLaunchException(
        string message,
        string functionExecutorId,
        FunctionExecutorProcessExit? exit,
        string? diagnosticsLogPath,
        int attempts,
        Exception? innerException = null)
        : base(message, innerException)
    {
        FunctionExecutorId = functionExecutorId;
        ExitCode = exit?.ExitCode;
        Signal = exit?.Signal;
        DiagnosticsTail = exit?.DiagnosticsTail;
        DiagnosticsLogPath = diagnosticsLogPath;
        Attempts = attempts;
    }

    public string? FunctionExecutorId { get; }

    /// <summary>Exit code of the last attempt, when it exited by itself.</summary>
    public int? ExitCode { get; }

    public int? Signal { get; }

    public string? DiagnosticsTail { get; }

    public string? DiagnosticsLogPath { get; }

    public int Attempts { get; }
}

using Executor.Model;

namespace Executor.FunctionExecutors;

/// <summary>FE startup failed for a known reason (mapped exactly to a STARTUP_FAILED_* termination reason).</summary>
public sealed class StartupFailedException(FunctionExecutorTerminationReason reason, string message, Exception? inner = null) : Exception(message, inner)
{
    public FunctionExecutorTerminationReason Reason { get; } = reason;
}

namespace Executor.FunctionExecutors;

/// <summary>Internal FE states (forward only; states may be skipped, e.g. StartingUp → Terminating).</summary>
public enum FunctionExecutorLifecycle
{
    NotStarted,
    StartingUp,
    Running,
    Terminating,
    Terminated,
}

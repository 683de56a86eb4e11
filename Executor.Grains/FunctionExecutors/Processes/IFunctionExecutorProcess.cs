namespace Executor.FunctionExecutors.Processes;

/// <summary>A running (or finished) Function Executor worker process. Disposing kills it at once.</summary>
public interface IFunctionExecutorProcess : IAsyncDisposable
{
    string FunctionExecutorId { get; }

    int ProcessId { get; }

    int Port { get; }

    /// <summary>"127.0.0.1:&lt;port&gt;", for the gRPC client.</summary>
    string Address { get; }

    string DiagnosticsLogPath { get; }

    bool HasExited { get; }

    /// <summary>Completes when the process ends, for any reason. Never faults.</summary>
    Task<FunctionExecutorProcessExit> Exited { get; }

    /// <summary>
    /// SIGTERM to the process group and the process, SIGKILL after <paramref name="gracePeriod"/>
    /// (<see cref="TimeSpan.Zero"/> = SIGKILL at once). Idempotent and never throws; a cancelled
    /// <paramref name="cancellationToken"/> only cuts the grace period short: the kill always completes
    /// (bounded), the process is reaped and the pid record deleted.
    /// </summary>
    Task StopAsync(TimeSpan gracePeriod, CancellationToken cancellationToken);
}

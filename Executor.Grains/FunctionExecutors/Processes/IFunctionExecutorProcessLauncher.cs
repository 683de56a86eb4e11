namespace Executor.FunctionExecutors.Processes;

/// <summary>Starts Function Executor worker processes; the seam between the FE grain and the OS.</summary>
public interface IFunctionExecutorProcessLauncher
{
    /// <summary>
    /// Spawns the FE and returns once its port accepts TCP connections.
    /// Throws <see cref="FunctionExecutorLaunchException"/> when it exits first or never listens;
    /// nothing is left running in that case.
    /// </summary>
    Task<IFunctionExecutorProcess> LaunchAsync(FunctionExecutorLaunchRequest request, CancellationToken cancellationToken);
}

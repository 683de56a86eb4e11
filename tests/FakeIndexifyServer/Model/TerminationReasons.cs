using Executor.Protocol.ServerV1;

namespace FakeIndexifyServer.Model;

/// <summary>Failure reason given to allocations blamed for an FE termination (server-contract §1.7.6).</summary>
internal static class TerminationReasons
{
    public static AllocationFailureReason ForBlamedAllocation(FunctionExecutorTerminationReason reason) => reason switch
    {
        FunctionExecutorTerminationReason.StartupFailedInternalError => AllocationFailureReason.InternalError,
        FunctionExecutorTerminationReason.StartupFailedFunctionError => AllocationFailureReason.FunctionError,
        FunctionExecutorTerminationReason.StartupFailedFunctionTimeout => AllocationFailureReason.FunctionTimeout,
        FunctionExecutorTerminationReason.Unhealthy => AllocationFailureReason.FunctionTimeout, // sic, as on the server
        FunctionExecutorTerminationReason.InternalError => AllocationFailureReason.InternalError,
        FunctionExecutorTerminationReason.FunctionTimeout => AllocationFailureReason.FunctionTimeout,
        FunctionExecutorTerminationReason.FunctionCancelled => AllocationFailureReason.AllocationCancelled,
        FunctionExecutorTerminationReason.Oom => AllocationFailureReason.Oom,
        _ => AllocationFailureReason.FunctionExecutorTerminated,
    };
}

using V1 = Executor.Protocol.ServerV1;
using V2 = Executor.Protocol.ServerV2;

namespace FakeIndexifyServer.Translation;

/// <summary>
/// Enum values whose numbers differ between the protocols, mapped by meaning. v2 renumbered the termination
/// reasons 0-10 and added two; AllocationFailureReason kept its numbers (6 renamed) and added 13.
/// </summary>
internal static class ReasonMapping
{
    public static V1.FunctionExecutorTerminationReason ToV1(V2.ContainerTerminationReason reason) => reason switch
    {
        V2.ContainerTerminationReason.StartupFailedInternalError => V1.FunctionExecutorTerminationReason.StartupFailedInternalError,
        V2.ContainerTerminationReason.StartupFailedFunctionError => V1.FunctionExecutorTerminationReason.StartupFailedFunctionError,
        V2.ContainerTerminationReason.StartupFailedFunctionTimeout => V1.FunctionExecutorTerminationReason.StartupFailedFunctionTimeout,
        V2.ContainerTerminationReason.Unhealthy => V1.FunctionExecutorTerminationReason.Unhealthy,
        V2.ContainerTerminationReason.InternalError => V1.FunctionExecutorTerminationReason.InternalError,
        V2.ContainerTerminationReason.FunctionTimeout => V1.FunctionExecutorTerminationReason.FunctionTimeout,
        V2.ContainerTerminationReason.FunctionCancelled => V1.FunctionExecutorTerminationReason.FunctionCancelled,
        V2.ContainerTerminationReason.Oom => V1.FunctionExecutorTerminationReason.Oom,

        // No v1 value: a crashed FE process is what v1 reports as unhealthy, a bad image is a startup failure.
        V2.ContainerTerminationReason.ProcessCrash => V1.FunctionExecutorTerminationReason.Unhealthy,
        V2.ContainerTerminationReason.StartupFailedBadImage => V1.FunctionExecutorTerminationReason.StartupFailedInternalError,
        _ => V1.FunctionExecutorTerminationReason.Unknown,
    };

    public static V1.AllocationFailureReason ToV1(V2.AllocationFailureReason reason) => reason switch
    {
        // No v1 value: the image could not be used, i.e. the FE failed to start for an infrastructure reason.
        V2.AllocationFailureReason.StartupFailedBadImage => V1.AllocationFailureReason.StartupFailedInternalError,
        _ => (V1.AllocationFailureReason)(int)reason, // 0-12 share numbers and meaning (6 was only renamed)
    };

    public static V2.AllocationFailureReason ToV2(V1.AllocationFailureReason reason) => (V2.AllocationFailureReason)(int)reason;
}

using Executor.Model;
using ProtoV2 = Executor.Protocol.ServerV2;

namespace Executor.Server.V2;

/// <summary>
/// FE termination reasons between the domain (v1 numbers: UNHEALTHY 12 ... OOM 16) and v2's densely renumbered
/// ContainerTerminationReason (UNHEALTHY 4 ... OOM 8, plus PROCESS_CRASH 9 and STARTUP_FAILED_BAD_IMAGE 10). By meaning, never by number.
/// </summary>
internal static class TerminationReasons
{
    public static ProtoV2.ContainerTerminationReason ToWire(FunctionExecutorTerminationReason reason) => reason switch
    {
        FunctionExecutorTerminationReason.StartupFailedInternalError => ProtoV2.ContainerTerminationReason.StartupFailedInternalError,
        FunctionExecutorTerminationReason.StartupFailedFunctionError => ProtoV2.ContainerTerminationReason.StartupFailedFunctionError,
        FunctionExecutorTerminationReason.StartupFailedFunctionTimeout => ProtoV2.ContainerTerminationReason.StartupFailedFunctionTimeout,
        FunctionExecutorTerminationReason.Unhealthy => ProtoV2.ContainerTerminationReason.Unhealthy,
        FunctionExecutorTerminationReason.InternalError => ProtoV2.ContainerTerminationReason.InternalError,
        FunctionExecutorTerminationReason.FunctionTimeout => ProtoV2.ContainerTerminationReason.FunctionTimeout,
        FunctionExecutorTerminationReason.FunctionCancelled => ProtoV2.ContainerTerminationReason.FunctionCancelled,
        FunctionExecutorTerminationReason.Oom => ProtoV2.ContainerTerminationReason.Oom,
        _ => ProtoV2.ContainerTerminationReason.Unknown,
    };

    /// <summary>v2-only reasons map to the nearest domain meaning: a crash is an unhealthy FE, a bad image a failed start.</summary>
    public static FunctionExecutorTerminationReason ToDomain(ProtoV2.ContainerTerminationReason reason) => reason switch
    {
        ProtoV2.ContainerTerminationReason.StartupFailedInternalError => FunctionExecutorTerminationReason.StartupFailedInternalError,
        ProtoV2.ContainerTerminationReason.StartupFailedFunctionError => FunctionExecutorTerminationReason.StartupFailedFunctionError,
        ProtoV2.ContainerTerminationReason.StartupFailedFunctionTimeout => FunctionExecutorTerminationReason.StartupFailedFunctionTimeout,
        ProtoV2.ContainerTerminationReason.Unhealthy => FunctionExecutorTerminationReason.Unhealthy,
        ProtoV2.ContainerTerminationReason.InternalError => FunctionExecutorTerminationReason.InternalError,
        ProtoV2.ContainerTerminationReason.FunctionTimeout => FunctionExecutorTerminationReason.FunctionTimeout,
        ProtoV2.ContainerTerminationReason.FunctionCancelled => FunctionExecutorTerminationReason.FunctionCancelled,
        ProtoV2.ContainerTerminationReason.Oom => FunctionExecutorTerminationReason.Oom,
        ProtoV2.ContainerTerminationReason.ProcessCrash => FunctionExecutorTerminationReason.Unhealthy,
        ProtoV2.ContainerTerminationReason.StartupFailedBadImage => FunctionExecutorTerminationReason.StartupFailedInternalError,
        _ => FunctionExecutorTerminationReason.Unknown,
    };
}

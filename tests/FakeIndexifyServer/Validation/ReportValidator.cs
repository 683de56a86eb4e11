using Executor.Protocol.ServerV1;

namespace FakeIndexifyServer.Validation;

/// <summary>
/// Steps 1-5 of the server's report_executor_state validation, in the server's order; the first failure wins
/// and is answered INVALID_ARGUMENT. Returns null when the report is acceptable.
/// </summary>
internal static class ReportValidator
{
    public static string? FindError(ReportExecutorStateRequest request)
    {
        if (request.ExecutorState is not { } state)
        {
            return "executor_state is required";
        }

        if (!state.HasExecutorId)
        {
            return "executor_id is required";
        }

        if (request.ExecutorUpdate is null)
        {
            return "executor_update is required";
        }

        foreach (var watch in state.FunctionCallWatches)
        {
            var missing = !watch.HasNamespace ? "namespace"
                : !watch.HasApplication ? "application"
                : !watch.HasRequestId ? "request_id"
                : !watch.HasFunctionCallId ? "function_call_id"
                : null;
            if (missing is not null)
            {
                return $"Invalid function call watch: Missing {missing} in FunctionCallWatch";
            }
        }

        return FindConversionError(state);
    }

    /// <summary>Conversion of ExecutorState into executor metadata (step 5).</summary>
    private static string? FindConversionError(ExecutorState state)
    {
        if (!state.HasHostname)
        {
            return "hostname is required";
        }

        if (!state.HasVersion)
        {
            return "version is required";
        }

        if (!state.HasStateHash)
        {
            return "state_hash is required";
        }

        if (state.TotalFunctionExecutorResources is not { } resources)
        {
            return "total_function_executor_resources is required";
        }

        var resourceError = !resources.HasCpuCount ? "cpu_count is required"
            : !resources.HasMemoryBytes ? "memory_bytes is required"
            : !resources.HasDiskBytes ? "disk_bytes is required"
            : FindGpuError(resources.Gpu);
        if (resourceError is not null)
        {
            return resourceError;
        }

        foreach (var feState in state.FunctionExecutorStates)
        {
            if (FindFunctionExecutorStateError(feState) is { } feError)
            {
                return feError;
            }
        }

        return null;
    }

    private static string? FindFunctionExecutorStateError(FunctionExecutorState feState)
    {
        if (feState.Description is not { } description)
        {
            return "description is required";
        }

        if (!description.HasId)
        {
            return "id is required";
        }

        if (description.Function is not { } function)
        {
            return "function ref is required";
        }

        var functionError = !function.HasNamespace ? "namespace is required"
            : !function.HasApplicationName ? "application_name is required"
            : !function.HasFunctionName ? "function_name is required"
            : !function.HasApplicationVersion ? "application_version is required"
            : null;
        if (functionError is not null)
        {
            return functionError;
        }

        if (description.Resources is not { } resources)
        {
            return "resources is required";
        }

        return !resources.HasCpuMsPerSec ? "cpu_ms_per_sec is required"
            : !resources.HasMemoryBytes ? "memory_bytes is required"
            : !resources.HasDiskBytes ? "disk_bytes is required"
            : FindGpuError(resources.Gpu);
    }

    private static string? FindGpuError(GPUResources? gpu)
    {
        if (gpu is null)
        {
            return null;
        }

        if (gpu.Count == 0)
        {
            return "proto gpu_resources.count is 0";
        }

        return gpu.Model == GPUModel.Unknown || !Enum.IsDefined(gpu.Model)
            ? "proto gpu_resources.model is unknown"
            : null;
    }
}

using Executor.Protocol.ServerV1;

namespace FakeIndexifyServer.Validation;

/// <summary>Shape rules for ExecutionPlanUpdates, shared by tail calls and call_function (malformed ⇒ INTERNAL).</summary>
internal static class ExecutionPlanUpdatesValidator
{
    public static string? FindError(ExecutionPlanUpdates updates, bool requireRoot)
    {
        if (requireRoot && !updates.HasRootFunctionCallId)
        {
            return "root function call id is required";
        }

        foreach (var update in updates.Updates)
        {
            var error = update.OpCase switch
            {
                ExecutionPlanUpdate.OpOneofCase.FunctionCall => FindFunctionCallError(update.FunctionCall),
                ExecutionPlanUpdate.OpOneofCase.Reduce => FindReduceError(update.Reduce),
                _ => "op is required",
            };
            if (error is not null)
            {
                return error;
            }
        }

        return null;
    }

    private static string? FindFunctionCallError(FunctionCall call)
    {
        if (call.Target is not { HasNamespace: true, HasFunctionName: true })
        {
            return "function call target with namespace and function_name is required";
        }

        return !call.HasId ? "function call id is required" : FindArgsError(call.Args);
    }

    private static string? FindReduceError(ReduceOp reduce)
    {
        if (reduce.Reducer is not { HasNamespace: true, HasFunctionName: true })
        {
            return "reducer with namespace and function_name is required";
        }

        return !reduce.HasId ? "reduce id is required"
            : !reduce.HasCallMetadata ? "reduce call_metadata is required"
            : FindArgsError(reduce.Collection);
    }

    private static string? FindArgsError(IEnumerable<FunctionArg> args) =>
        args.Any(arg => arg.SourceCase == FunctionArg.SourceOneofCase.None) ? "function arg source is required" : null;

    /// <summary>Ids of every call (function calls and reduces) the updates create.</summary>
    public static IEnumerable<string> CreatedCallIds(ExecutionPlanUpdates updates) =>
        updates.Updates.Select(update => update.OpCase switch
        {
            ExecutionPlanUpdate.OpOneofCase.FunctionCall => update.FunctionCall.Id,
            ExecutionPlanUpdate.OpOneofCase.Reduce => update.Reduce.Id,
            _ => null,
        }).OfType<string>();
}

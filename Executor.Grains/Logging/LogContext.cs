namespace Executor.Logging;

/// <summary>
/// The ids every log line of one component carries as scope values: the executor's id, then the Function Executor's,
/// then the allocation's (with its request and function call). Each level extends its parent's values.
/// </summary>
public sealed class LogContext
{
    public const string ExecutorIdKey = "ExecutorId";
    public const string FunctionExecutorIdKey = "FunctionExecutorId";
    public const string AllocationIdKey = "AllocationId";
    public const string RequestIdKey = "RequestId";
    public const string FunctionCallIdKey = "FunctionCallId";

    private LogContext(LogContext? parent, KeyValuePair<string, object?>[] values)
    {
        Values = new LogScope(parent is null ? values : [.. parent.Values, .. values]);
    }

    /// <summary>All values of this context, outermost first.</summary>
    public LogScope Values { get; }

    public static LogContext ForExecutor(string executorId) => new(null, [new(ExecutorIdKey, executorId)]);

    public LogContext ForFunctionExecutor(string functionExecutorId) => new(this, [new(FunctionExecutorIdKey, functionExecutorId)]);

    /// <summary>An allocation's context; empty request or function call ids are left out.</summary>
    public LogContext ForAllocation(string allocationId, string? requestId, string? functionCallId)
    {
        var values = new List<KeyValuePair<string, object?>>(3) { new(AllocationIdKey, allocationId) };
        if (!string.IsNullOrEmpty(requestId))
        {
            values.Add(new(RequestIdKey, requestId));
        }

        if (!string.IsNullOrEmpty(functionCallId))
        {
            values.Add(new(FunctionCallIdKey, functionCallId));
        }

        return new LogContext(this, [.. values]);
    }

    /// <summary>
    /// What a line still needs when <paramref name="open"/> is already an open scope around it: null when that scope
    /// carries every value of this context, all values when it carries none, otherwise only the missing ones (so no
    /// key is written twice when, say, an allocation's scope is open around the FE's own lines).
    /// </summary>
    internal LogScope? Missing(LogContext? open)
    {
        if (open is null)
        {
            return Values;
        }

        if (ReferenceEquals(open, this))
        {
            return null;
        }

        List<KeyValuePair<string, object?>>? missing = null;
        for (var i = 0; i < Values.Count; i++)
        {
            if (!Contains(open.Values, Values[i]))
            {
                (missing ??= new List<KeyValuePair<string, object?>>(Values.Count)).Add(Values[i]);
            }
        }

        return missing is null ? null : missing.Count == Values.Count ? Values : new LogScope([.. missing]);
    }

    private static bool Contains(LogScope scope, KeyValuePair<string, object?> value)
    {
        for (var i = 0; i < scope.Count; i++)
        {
            if (string.Equals(scope[i].Key, value.Key, StringComparison.Ordinal) && Equals(scope[i].Value, value.Value))
            {
                return true;
            }
        }

        return false;
    }
}

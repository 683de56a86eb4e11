using System.Globalization;

namespace Executor.FunctionExecutors;

/// <summary>How the executor talks to an FE about its allocations, chosen from the version its get_info reports.</summary>
public enum FunctionExecutorProtocol
{
    /// <summary>"0.1.2" (tensorlake 0.3.1 … 0.4.31): function calls, watchers and the result travel in the allocation state.</summary>
    AllocationState,

    /// <summary>"0.1.3" and later 0.1.x (tensorlake 0.4.32 and later): execution log (FE → executor) and event log (executor → FE).</summary>
    ExecutionLog,
}

/// <summary>Maps get_info().version to the protocol the executor speaks with that FE.</summary>
public static class FunctionExecutorProtocols
{
    /// <summary>What the executor supports, for messages.</summary>
    public const string Supported = "0.1.2 and 0.1.3 or later 0.1.x";

    /// <summary>The protocol for an FE version; null when this executor cannot drive that FE.</summary>
    public static FunctionExecutorProtocol? Select(string version)
    {
        var parts = version.Split('.');
        if (parts.Length != 3 || parts[0] != "0" || parts[1] != "1" || !uint.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var patch))
        {
            return null;
        }

        return patch switch
        {
            2 => FunctionExecutorProtocol.AllocationState,
            >= 3 => FunctionExecutorProtocol.ExecutionLog,
            _ => null,
        };
    }

    /// <summary>The metric label of a protocol.</summary>
    public static string Label(FunctionExecutorProtocol? protocol) => protocol switch
    {
        FunctionExecutorProtocol.AllocationState => "allocation_state",
        FunctionExecutorProtocol.ExecutionLog => "execution_log",
        _ => "unsupported",
    };
}

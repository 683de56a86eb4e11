using Executor.Protocol.ServerV1;

namespace FakeIndexifyServer;

/// <summary>
/// The v1 server's rules for placing a function FE on an executor, for generating scenarios the real server could
/// produce. The fake itself places whatever tests add.
/// </summary>
public static class PlacementRules
{
    /// <summary>This exact version marks a sandbox-only dataplane: function FEs never go there.</summary>
    public const string SandboxOnlyVersion = "0.2.0";

    /// <summary>
    /// True when the executor's version, allowlist (version ignored; a missing field is a wildcard; empty allows
    /// everything) and labels (every "key==value" / "key!=value" constraint holds; a missing key fails) admit the function.
    /// </summary>
    public static bool CanPlaceFunction(ExecutorState executor, FunctionRef function, IEnumerable<string>? constraints = null)
    {
        if (string.Equals(executor.Version, SandboxOnlyVersion, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var allowed = executor.AllowedFunctions.Count == 0 || executor.AllowedFunctions.Any(entry =>
            (!entry.HasNamespace || entry.Namespace == function.Namespace)
            && (!entry.HasApplicationName || entry.ApplicationName == function.ApplicationName)
            && (!entry.HasFunctionName || entry.FunctionName == function.FunctionName));
        return allowed && (constraints ?? []).All(constraint => Holds(constraint, executor.Labels));
    }

    private static bool Holds(string constraint, IDictionary<string, string> labels)
    {
        var negated = constraint.Contains("!=", StringComparison.Ordinal);
        var parts = constraint.Split(negated ? "!=" : "==", 2, StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || !labels.TryGetValue(parts[0], out var actual))
        {
            return false;
        }

        return negated ? actual != parts[1] : actual == parts[1];
    }
}

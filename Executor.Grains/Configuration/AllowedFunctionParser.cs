using Executor.Model;

namespace Executor.Configuration;

public static class AllowedFunctionParser
{
    /// <summary>"ns:app:fn" or "ns:app:fn:version", as upstream; other token counts are startup errors.</summary>
    public static bool TryParse(string entry, out FunctionRef function, out string error)
    {
        function = new FunctionRef(string.Empty, string.Empty, string.Empty, null);
        var parts = entry.Split(':');
        if (parts.Length is not (3 or 4))
        {
            error = "expected <namespace>:<application>:<function>[:<version>]";
            return false;
        }

        if (parts.Take(3).Any(string.IsNullOrWhiteSpace))
        {
            error = "namespace, application and function must not be empty";
            return false;
        }

        function = new FunctionRef(parts[0], parts[1], parts[2], parts.Length == 4 ? parts[3] : null);
        error = string.Empty;
        return true;
    }
}

using System.Security.Cryptography;
using System.Text;

namespace Executor.FunctionExecutors.Processes;

/// <summary>Turns ids that come from the Server into names that are safe as single path components.</summary>
internal static class FileNames
{
    public static string Safe(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        var safe = id.Length <= 128 && id[0] != '.' && id.All(IsSafe);
        if (safe)
        {
            return id;
        }

        // Keep it readable but unique: sanitized prefix + hash of the original.
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)))[..12];
        var prefix = new string(id.Take(64).Select(c => IsSafe(c) ? c : '_').ToArray()).TrimStart('.');
        return $"{prefix}-{hash}";
    }

    private static bool IsSafe(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.';
}

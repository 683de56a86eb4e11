using System.Text;

namespace Executor.Allocations;

/// <summary>Request-state keys become one path segment: every byte outside A-Za-z0-9_.-~ is percent-encoded ('/' included).</summary>
public static class RequestStateKey
{
    public static string Encode(string key)
    {
        var sb = new StringBuilder(key.Length);
        foreach (var b in Encoding.UTF8.GetBytes(key))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' or '~')
            {
                sb.Append(c);
            }
            else
            {
                sb.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return sb.ToString();
    }
}

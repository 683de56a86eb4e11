namespace Executor.Configuration;

public static class LabelParser
{
    /// <summary>"key=value" with exactly one '=' (upstream rejects "a=b=c" and "a").</summary>
    public static bool TryParse(string text, out string key, out string value)
    {
        key = value = string.Empty;
        var parts = text.Split('=');
        if (parts.Length != 2 || parts[0].Length == 0)
        {
            return false;
        }

        key = parts[0];
        value = parts[1];
        return true;
    }
}

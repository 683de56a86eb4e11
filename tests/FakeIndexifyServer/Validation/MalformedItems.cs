namespace FakeIndexifyServer.Validation;

/// <summary>
/// The v2 server's split of per-item heartbeat errors (§3.8.2): an error whose text says "missing ", " is empty",
/// "invalid" or "malformed" is skipped for good and the heartbeat still succeeds; any other error is counted and
/// fails the heartbeat with INTERNAL after the rest was processed.
/// </summary>
internal static class MalformedItems
{
    public static bool IsMalformed(string error) =>
        error.Contains("missing ", StringComparison.Ordinal)
        || error.Contains(" is empty", StringComparison.Ordinal)
        || error.Contains("invalid", StringComparison.Ordinal)
        || error.Contains("malformed", StringComparison.Ordinal);
}

namespace Executor.Configuration;

/// <summary>Which Server protocol to speak (Executor:ServerProtocol, --server-protocol).</summary>
public enum ServerProtocolMode
{
    /// <summary>Probe v2 (heartbeat) first and fall back to v1 on UNIMPLEMENTED, and the reverse; probe again after a reconnect.</summary>
    Auto,

    /// <summary>report_executor_state + desired-state stream (Servers before 2026-02-20).</summary>
    V1,

    /// <summary>heartbeat + command and result polls (Servers since 2026-02-20).</summary>
    V2,
}

public static class ServerProtocolModes
{
    public const string Allowed = "auto, v1 or v2";

    public static bool TryParse(string? text, out ServerProtocolMode mode)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "auto":
                mode = ServerProtocolMode.Auto;
                return true;
            case "v1":
                mode = ServerProtocolMode.V1;
                return true;
            case "v2":
                mode = ServerProtocolMode.V2;
                return true;
            default:
                mode = ServerProtocolMode.Auto;
                return false;
        }
    }
}

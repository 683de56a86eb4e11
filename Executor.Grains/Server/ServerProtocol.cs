namespace Executor.Server;

/// <summary>The protocol the executor speaks with the Server right now.</summary>
public enum ServerProtocol
{
    /// <summary>Not negotiated yet (auto mode before the first answer, or while probing again).</summary>
    Unknown = 0,
    V1 = 1,
    V2 = 2,
}

public static class ServerProtocolNames
{
    /// <summary>The name used in logs, /state/* and the metric label: "v1", "v2" or "unknown".</summary>
    public static string Label(this ServerProtocol protocol) => protocol switch
    {
        ServerProtocol.V1 => "v1",
        ServerProtocol.V2 => "v2",
        _ => "unknown",
    };
}

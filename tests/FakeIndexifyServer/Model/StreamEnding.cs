using Grpc.Core;

namespace FakeIndexifyServer.Model;

/// <summary>How the fake ends an open stream: a status (OK is a normal end) or a transport-level abort (the connection is dropped).</summary>
internal sealed record StreamEnding(StatusCode Code, string Detail, bool AbortTransport)
{
    public static StreamEnding Ok { get; } = new(StatusCode.OK, string.Empty, false);

    public static StreamEnding WithStatus(StatusCode code, string detail) => new(code, detail, false);

    public static StreamEnding Abort { get; } = new(StatusCode.Unavailable, "connection aborted by the fake server", true);
}

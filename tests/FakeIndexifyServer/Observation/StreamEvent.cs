using Grpc.Core;

namespace FakeIndexifyServer;

public enum StreamEventKind
{
    /// <summary>A get_desired_executor_states stream was accepted.</summary>
    Opened,

    /// <summary>A stream request was refused (INVALID_ARGUMENT, NOT_FOUND).</summary>
    Rejected,

    /// <summary>An accepted stream ended (by the fake, the client, or the listener going down).</summary>
    Closed,
}

/// <summary>A desired-state stream opening, refusal or close.</summary>
public sealed record StreamEvent(
    long Sequence,
    DateTimeOffset At,
    string? ExecutorId,
    long StreamId,
    StreamEventKind Kind,
    StatusCode Status,
    string Detail,
    int MessagesSent);

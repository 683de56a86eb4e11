using Executor.Protocol.ServerV2;
using Grpc.Core;

namespace FakeIndexifyServer;

/// <summary>
/// One v2 heartbeat as the fake received and answered it. The same call also appears in
/// <see cref="FakeServer.Reports"/> (same <see cref="Sequence"/>) as its v1 equivalent.
/// </summary>
public sealed record ReceivedHeartbeat(
    long Sequence,
    DateTimeOffset ReceivedAt,
    HeartbeatRequest Request,
    StatusCode ReplyStatus,
    string ReplyDetail,
    bool SendState,
    bool ItemsDropped,
    IReadOnlyList<string> SkippedItems,
    IReadOnlyList<string> FailedItems)
{
    public string? ExecutorId => Request.HasExecutorId ? Request.ExecutorId : null;

    public bool HasFullState => Request.FullState is not null;

    public bool IsStopped => Request.HasStatus && Request.Status == ExecutorStatus.Stopped;

    /// <summary>Answered OK and its items were processed (not dropped for an unknown executor).</summary>
    public bool Succeeded => ReplyStatus == StatusCode.OK && !ItemsDropped;
}

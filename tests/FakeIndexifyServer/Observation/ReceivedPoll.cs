using Grpc.Core;

namespace FakeIndexifyServer;

public enum PollKind
{
    /// <summary>poll_commands.</summary>
    Commands,

    /// <summary>poll_allocation_results.</summary>
    Results,
}

/// <summary>One v2 poll as the fake answered it: the acknowledgement it carried and the seqs it returned.</summary>
public sealed record ReceivedPoll(
    long Sequence,
    DateTimeOffset ReceivedAt,
    DateTimeOffset AnsweredAt,
    string ExecutorId,
    PollKind Kind,
    ulong? Ack,
    StatusCode ReplyStatus,
    string ReplyDetail,
    bool WasHeld,
    IReadOnlyList<ulong> DeliveredSeqs)
{
    public bool Succeeded => ReplyStatus == StatusCode.OK;
}

using Executor.Protocol.ServerV1;
using Grpc.Core;

namespace FakeIndexifyServer;

/// <summary>
/// One report_executor_state call as the fake received and answered it. In v2 mode every heartbeat is logged here
/// too, as the report it stands for: full_state containers and ContainerStarted / ContainerTerminated become FE
/// states, outcomes become allocation results (see <see cref="FakeServer.Heartbeats"/> for the raw request).
/// </summary>
public sealed record ReceivedReport(
    long Sequence,
    DateTimeOffset ReceivedAt,
    ReportExecutorStateRequest Request,
    StatusCode ReplyStatus,
    string ReplyDetail,
    bool WasStateChange,
    IReadOnlyList<string> AcceptedAllocationIds,
    IReadOnlyList<string> DuplicateAllocationIds,
    IReadOnlyList<string> UnknownAllocationIds)
{
    public string? ExecutorId => Request.ExecutorState is { HasExecutorId: true } state ? state.ExecutorId : null;

    public string? StateHash => Request.ExecutorState is { HasStateHash: true } state ? state.StateHash : null;

    public ulong? ServerClock => Request.ExecutorState is { HasServerClock: true } state ? state.ServerClock : null;

    public ExecutorStatus? ExecutorStatus => Request.ExecutorState is { HasStatus: true } state ? state.Status : null;

    public IReadOnlyList<FunctionExecutorState> FunctionExecutorStates =>
        Request.ExecutorState?.FunctionExecutorStates ?? (IReadOnlyList<FunctionExecutorState>)[];

    public IReadOnlyList<AllocationResult> AllocationResults =>
        Request.ExecutorUpdate?.AllocationResults ?? (IReadOnlyList<AllocationResult>)[];

    public IReadOnlyList<FunctionCallWatch> FunctionCallWatches =>
        Request.ExecutorState?.FunctionCallWatches ?? (IReadOnlyList<FunctionCallWatch>)[];

    /// <summary>v2: the executor was unknown and sent no full_state, so nothing in it was processed (send_state was asked).</summary>
    public bool ItemsDropped { get; init; }

    public bool Succeeded => ReplyStatus == StatusCode.OK && !ItemsDropped;
}

using Executor.Protocol.ServerV2;
using Grpc.Core;

namespace FakeIndexifyServer.Hosting;

/// <summary>Thin gRPC adapter for protocol v2: every RPC is handled by the <see cref="FakeServer"/> that owns the state.</summary>
internal sealed class ExecutorApiV2Service(FakeServer server) : ExecutorAPI.ExecutorAPIBase
{
    public override Task<HeartbeatResponse> heartbeat(HeartbeatRequest request, ServerCallContext context) =>
        server.HandleHeartbeatAsync(request, context);

    public override Task<PollCommandsResponse> poll_commands(PollCommandsRequest request, ServerCallContext context) =>
        server.HandlePollCommandsAsync(request, context);

    public override Task<PollAllocationResultsResponse> poll_allocation_results(PollAllocationResultsRequest request, ServerCallContext context) =>
        server.HandlePollResultsAsync(request, context);
}

using Executor.Protocol.ServerV1;
using Grpc.Net.Client;
using V2 = Executor.Protocol.ServerV2;

namespace FakeIndexifyServer.Tests.Infrastructure;

/// <summary>A started fake server plus a raw gRPC client over a real 127.0.0.1 channel; disposing cleans up both.</summary>
internal sealed class Harness : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private Harness(FakeServer server)
    {
        Server = server;
        Channel = GrpcChannel.ForAddress(server.Url, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = 64 * 1024 * 1024,
            MaxSendMessageSize = 64 * 1024 * 1024,
        });
        Client = new ExecutorAPI.ExecutorAPIClient(Channel);
        V2Client = new V2.ExecutorAPI.ExecutorAPIClient(Channel);
    }

    public FakeServer Server { get; }

    public GrpcChannel Channel { get; }

    public ExecutorAPI.ExecutorAPIClient Client { get; }

    /// <summary>The protocol v2 client on the same channel (same service name, other methods).</summary>
    public V2.ExecutorAPI.ExecutorAPIClient V2Client { get; }

    public static async Task<Harness> StartAsync(FakeServerOptions? options = null) =>
        new(await FakeServer.StartAsync(options));

    /// <summary>A fake speaking protocol v2 with default settings.</summary>
    public static Task<Harness> StartV2Async() => StartAsync(new FakeServerOptions { Protocol = ServerProtocol.V2 });

    public Task<V2.HeartbeatResponse> HeartbeatAsync(V2.HeartbeatRequest request, TimeSpan? deadline = null) =>
        V2Client.heartbeatAsync(request, deadline: DateTime.UtcNow + (deadline ?? Patience)).ResponseAsync;

    /// <summary>Heartbeats until registered: the first answer asks for the state, the second carries it.</summary>
    public async Task RegisterV2Async(string executorId, params V2.ContainerState[] containers)
    {
        Xunit.Assert.True((await HeartbeatAsync(V2Messages.Heartbeat(executorId))).SendState);
        Xunit.Assert.False((await HeartbeatAsync(V2Messages.FullState(executorId, containers))).SendState);
    }

    public async Task<List<V2.Command>> PollCommandsAsync(string executorId, ulong? ack = null, TimeSpan? deadline = null)
    {
        var request = new V2.PollCommandsRequest { ExecutorId = executorId };
        if (ack is { } acked)
        {
            request.AckedCommandSeq = acked;
        }

        return [.. (await V2Client.poll_commandsAsync(request, deadline: DateTime.UtcNow + (deadline ?? Patience)).ResponseAsync).Commands];
    }

    public async Task<List<V2.SequencedAllocationResult>> PollResultsAsync(string executorId, ulong? ack = null, TimeSpan? deadline = null)
    {
        var request = new V2.PollAllocationResultsRequest { ExecutorId = executorId };
        if (ack is { } acked)
        {
            request.AckedResultSeq = acked;
        }

        return [.. (await V2Client.poll_allocation_resultsAsync(request, deadline: DateTime.UtcNow + (deadline ?? Patience)).ResponseAsync).Results];
    }

    /// <summary>
    /// Polls until something arrives: an answer may be empty (a wake-up stored while nobody waited, or a short hold),
    /// which a client simply polls again after.
    /// </summary>
    public async Task<List<V2.Command>> PollCommandsUntilAnyAsync(string executorId, ulong? ack = null)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var commands = await PollCommandsAsync(executorId, ack, deadline - DateTime.UtcNow);
            if (commands.Count > 0)
            {
                return commands;
            }
        }
    }

    /// <summary>Sends a report with a deadline so a broken server cannot hang the test.</summary>
    public Task<ReportExecutorStateResponse> ReportAsync(ReportExecutorStateRequest request, TimeSpan? deadline = null) =>
        Client.report_executor_stateAsync(request, deadline: DateTime.UtcNow + (deadline ?? Patience)).ResponseAsync;

    public Task<FunctionCallResponse> CallFunctionAsync(FunctionCallRequest request) =>
        Client.call_functionAsync(request, deadline: DateTime.UtcNow + Patience).ResponseAsync;

    public DesiredStateStream OpenStream(string? executorId)
    {
        var request = new GetDesiredExecutorStatesRequest();
        if (executorId is not null)
        {
            request.ExecutorId = executorId;
        }

        return DesiredStateStream.Open(Client, request);
    }

    /// <summary>Reports a minimal valid state and opens a stream, returning it after its first snapshot.</summary>
    public async Task<(DesiredStateStream Stream, DesiredExecutorState First)> RegisterAndStreamAsync(string executorId)
    {
        await ReportAsync(Reports.Valid(executorId));
        var stream = OpenStream(executorId);
        var first = await stream.NextAsync();
        return (stream, first);
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await Server.DisposeAsync();
    }
}

using Executor.Protocol.ServerV1;
using Grpc.Net.Client;

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
    }

    public FakeServer Server { get; }

    public GrpcChannel Channel { get; }

    public ExecutorAPI.ExecutorAPIClient Client { get; }

    public static async Task<Harness> StartAsync(FakeServerOptions? options = null) =>
        new(await FakeServer.StartAsync(options));

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

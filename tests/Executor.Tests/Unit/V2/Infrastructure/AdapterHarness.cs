using Executor.Configuration;
using Executor.Metrics;
using Executor.Server;
using Executor.Server.V1;
using Executor.Server.V2;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Executor.Tests.Unit.V2.Infrastructure;

/// <summary>The real v1, v2 and negotiating connections wired as in the silo, against a <see cref="ScriptedServer"/>.</summary>
internal sealed class AdapterHarness : IAsyncDisposable
{
    private AdapterHarness(ScriptedServer server, ExecutorOptions options)
    {
        Server = server;
        var wrapped = Options.Create(options);
        var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        Metrics = new ServerMetrics(meters);
        Channels = new ServerChannelProvider(wrapped, NullLogger<ServerChannelProvider>.Instance, Metrics);
        V1 = new ServerV1Connection(Channels, Metrics, NullLogger<ServerV1Connection>.Instance, wrapped, descriptions: Descriptions);
        V2 = new ServerV2Connection(Channels, Metrics, NullLogger<ServerV2Connection>.Instance, wrapped, Descriptions, Trigger, TimeProvider.System);
        Negotiating = new NegotiatingServerConnection(V1, V2, Protocol, Channels, wrapped, NullLogger<NegotiatingServerConnection>.Instance);
    }

    public ScriptedServer Server { get; }

    public ServerMetrics Metrics { get; }

    public ServerChannelProvider Channels { get; }

    public FunctionExecutorDescriptionStore Descriptions { get; } = new();

    public RecordingReportTrigger Trigger { get; } = new();

    public ActiveServerProtocol Protocol { get; } = new();

    public ServerV1Connection V1 { get; }

    public ServerV2Connection V2 { get; }

    public NegotiatingServerConnection Negotiating { get; }

    public static async Task<AdapterHarness> StartAsync(bool v1 = false, bool v2 = true, Action<ExecutorOptions>? configure = null)
    {
        var server = await ScriptedServer.StartAsync(v1, v2);
        var options = new ExecutorOptions { ServerAddress = server.Address };
        configure?.Invoke(options);
        return new AdapterHarness(server, options);
    }

    public static CancellationToken Timeout(int seconds = 10) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    public async ValueTask DisposeAsync()
    {
        Channels.Dispose();
        await Server.DisposeAsync();
    }
}

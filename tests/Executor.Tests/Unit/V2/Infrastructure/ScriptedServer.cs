using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Executor.Tests.Unit.V2.Infrastructure;

/// <summary>
/// A tiny in-test Indexify Server on 127.0.0.1 (h2c) serving a scriptable v1 service and a scriptable v2 service under
/// the one service name both protocols share; either can be switched off (it then answers UNIMPLEMENTED, as a Server
/// of the other protocol does). It can be stopped and started again on the same port.
/// </summary>
internal sealed class ScriptedServer : IAsyncDisposable
{
    private WebApplication? _app;

    private ScriptedServer(int port)
    {
        Port = port;
    }

    public int Port { get; }

    public string Address => $"127.0.0.1:{Port}";

    public ScriptedV1Service V1 { get; } = new();

    public ScriptedV2Service V2 { get; } = new();

    public static async Task<ScriptedServer> StartAsync(bool v1 = true, bool v2 = true)
    {
        var server = new ScriptedServer(Executor.Testing.FreePort.Get());
        server.V1.Enabled = v1;
        server.V2.Enabled = v2;
        await server.StartAgainAsync();
        return server;
    }

    public async Task StartAgainAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, Port, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(V1);
        builder.Services.AddSingleton(V2);
        var app = builder.Build();
        app.MapGrpcService<ScriptedV1Service>();
        app.MapGrpcService<ScriptedV2Service>();
        await app.StartAsync();
        _app = app;
    }

    /// <summary>Stops listening (connections are refused until <see cref="StartAgainAsync"/>); the services keep their state.</summary>
    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            V1.EndStreams();
            V2.WakePolls();
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}

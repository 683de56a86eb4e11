using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FakeIndexifyServer.Hosting;

/// <summary>
/// The Kestrel host serving the fake's gRPC service: plaintext HTTP/2 (h2c) on 127.0.0.1. It holds no state of
/// its own, so it can be stopped and started again on the same port while the fake's state lives on.
/// </summary>
internal sealed class GrpcListener : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _stopped;

    private GrpcListener(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public static async Task<GrpcListener> StartAsync(FakeServer server, FakeServerOptions options, int port, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = typeof(GrpcListener).Assembly.GetName().Name });
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Listen(IPAddress.Loopback, port, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                if (options.TlsCertificate is { } certificate)
                {
                    // The real Server is plaintext; TLS/mTLS here stands in for the ingress that terminates it.
                    listen.UseHttps(https =>
                    {
                        https.ServerCertificate = certificate;
                        if (options.ClientCertificateAuthority is { } authority)
                        {
                            https.ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.RequireCertificate;
                            https.ClientCertificateValidation = (client, _, _) =>
                            {
                                using var chain = new System.Security.Cryptography.X509Certificates.X509Chain();
                                chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
                                chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
                                chain.ChainPolicy.CustomTrustStore.Add(authority);
                                return chain.Build(client);
                            };
                        }
                    });
                }
            });
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        options.ConfigureHostLogging?.Invoke(builder.Logging);
        builder.Services.AddRouting();
        var maxMessageSize = options.MaxMessageSizeBytes ?? (options.Protocol == ServerProtocol.V2 ? 32 * 1024 * 1024 : 256 * 1024 * 1024);
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = maxMessageSize;
            grpc.MaxSendMessageSize = maxMessageSize;
            grpc.EnableDetailedErrors = true;
        });
        builder.Services.AddSingleton(server);

        var app = builder.Build();
        app.UseRouting();
        // Both protocols share the service name, so only one is mapped; the other's methods then answer UNIMPLEMENTED.
        if (options.Protocol == ServerProtocol.V2)
        {
            app.MapGrpcService<ExecutorApiV2Service>();
        }
        else
        {
            app.MapGrpcService<ExecutorApiService>();
        }
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new GrpcListener(app, new Uri(address).Port);
    }

    /// <summary>Starts on a fixed port, retrying while the OS still holds it (e.g. right after a stop).</summary>
    public static async Task<GrpcListener> StartOnPortAsync(FakeServer server, FakeServerOptions options, int port, TimeSpan patience, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + patience;
        while (true)
        {
            try
            {
                return await StartAsync(server, options, port, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                // Address still in use; the previous listener's socket is being released.
                await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Stops accepting; connections still open after <paramref name="grace"/> are aborted.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        using var graceOver = new CancellationTokenSource(grace);
        try
        {
            await _app.StopAsync(graceOver.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Grace period over: Kestrel aborted the remaining connections.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Executor.BlobStore.Tests.Infrastructure;

/// <summary>
/// A tiny HTTP server on 127.0.0.1 that answers every request with 500 (or never answers, when
/// <c>hang</c> is set), counting requests, to check that S3 calls fail after the retries instead of hanging.
/// </summary>
public sealed class FailingHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    private FailingHttpServer(WebApplication app, bool hang)
    {
        _app = app;
        app.Run(async context =>
        {
            Interlocked.Increment(ref _requests);
            if (hang)
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
            }

            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            context.Response.ContentType = "application/xml";
            await context.Response.WriteAsync(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>InternalError</Code><Message>always failing</Message></Error>");
        });
    }

    public int Requests => Volatile.Read(ref _requests);

    public string Url { get; private set; } = string.Empty;

    public static async Task<FailingHttpServer> StartAsync(bool hang = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var server = new FailingHttpServer(builder.Build(), hang);
        await server._app.StartAsync();
        var addresses = server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!;
        server.Url = addresses.Addresses.Single();
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }
}

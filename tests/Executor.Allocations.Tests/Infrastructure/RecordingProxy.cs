using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Executor.Allocations.Tests.Infrastructure;

/// <summary>One request that went through the proxy.</summary>
internal sealed record ProxiedRequest(string Method, string Path, IReadOnlyDictionary<string, string> Query, string? Range, int Status);

/// <summary>
/// A transparent HTTP proxy on 127.0.0.1 in front of s3rver that records every request (method, path, query,
/// Range), so tests can see how BLOBs really moved: one PUT per multipart part, one ranged GET per read chunk.
/// The Host header is forwarded unchanged, so SigV4 signatures (also presigned ones) stay valid.
/// </summary>
internal sealed class RecordingProxy : IAsyncDisposable
{
    private static readonly HashSet<string> HopHeaders = new(StringComparer.OrdinalIgnoreCase) { "Transfer-Encoding", "Connection", "Keep-Alive" };

    private readonly WebApplication _app;
    private readonly HttpClient _client;
    private readonly ConcurrentQueue<ProxiedRequest> _requests = new();

    private RecordingProxy(WebApplication app, HttpClient client)
    {
        _app = app;
        _client = client;
    }

    public string Url { get; private set; } = string.Empty;

    public IReadOnlyList<ProxiedRequest> Requests => [.. _requests];

    /// <summary>When set, every request is answered with this status (an S3 error body) instead of being forwarded.</summary>
    public int? FailWith { get; set; }

    public static async Task<RecordingProxy> StartAsync(string upstream)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(System.Net.IPAddress.Loopback, 0));
        var app = builder.Build();
        var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { Timeout = TimeSpan.FromSeconds(60) };
        var proxy = new RecordingProxy(app, client);
        var target = new Uri(upstream);
        app.Run(context => proxy.ForwardAsync(context, target));
        await app.StartAsync();
        proxy.Url = app.Urls.Single().Replace("[::1]", "127.0.0.1", StringComparison.Ordinal);
        return proxy;
    }

    private async Task ForwardAsync(HttpContext context, Uri target)
    {
        var incoming = context.Request;
        if (FailWith is { } status)
        {
            _requests.Enqueue(new ProxiedRequest(incoming.Method, incoming.Path.Value ?? string.Empty, incoming.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal), incoming.Headers.Range.ToString() is { Length: > 0 } fr ? fr : null, status));
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/xml";
            await context.Response.WriteAsync("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>InternalError</Code><Message>injected by the test proxy</Message></Error>", context.RequestAborted);
            return;
        }

        using var outgoing = new HttpRequestMessage(new HttpMethod(incoming.Method), new Uri(target, incoming.Path.ToUriComponent() + incoming.QueryString.ToUriComponent()));
        if (incoming.ContentLength is > 0 || incoming.Headers.ContainsKey("Transfer-Encoding"))
        {
            outgoing.Content = new StreamContent(incoming.Body);
        }

        foreach (var (name, values) in incoming.Headers)
        {
            if (HopHeaders.Contains(name))
            {
                continue;
            }

            if (!outgoing.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                outgoing.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        // Signatures cover the Host header: keep the one the client signed for.
        outgoing.Headers.Host = incoming.Host.Value;
        using var response = await _client.SendAsync(outgoing, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        _requests.Enqueue(new ProxiedRequest(incoming.Method, incoming.Path.Value ?? string.Empty, incoming.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal), incoming.Headers.Range.ToString() is { Length: > 0 } r ? r : null, (int)response.StatusCode));
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (!HopHeaders.Contains(name))
            {
                context.Response.Headers[name] = values.ToArray();
            }
        }

        await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _client.Dispose();
    }
}

using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using Executor.Testing;

namespace TestFunctionExecutor.Tests.Infrastructure;

/// <summary>
/// A tiny stand-in for presigned S3 URLs on 127.0.0.1: GET /objects/NAME honours Range (206),
/// PUT /parts/NAME stores the body (Content-Length required) and answers a quoted MD5 ETag.
/// </summary>
public sealed class PresignedHttpServer : IAsyncDisposable
{
    private readonly HttpListener _listener;
    private readonly Task _loop;

    public PresignedHttpServer()
    {
        // FreePort is racy; retry a few ports.
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort.Get();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                _listener = listener;
                BaseUri = $"http://127.0.0.1:{port}";
                break;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                listener.Close();
            }
        }

        _loop = Task.Run(ServeAsync);
    }

    public string BaseUri { get; }

    public ConcurrentDictionary<string, byte[]> Objects { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, byte[]> Parts { get; } = new(StringComparer.Ordinal);

    /// <summary>Range headers of every GET, in arrival order.</summary>
    public ConcurrentQueue<string> RangeRequests { get; } = new();

    public string ObjectUri(string name) => $"{BaseUri}/objects/{name}?X-Amz-Signature=test";

    public string PartUri(string name) => $"{BaseUri}/parts/{name}?partNumber=1&X-Amz-Signature=test";

    public static string ETagOf(byte[] bytes) => $"\"{Convert.ToHexStringLower(MD5.HashData(bytes))}\"";

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        try
        {
            var path = request.Url!.AbsolutePath;
            if (request.HttpMethod == "GET" && path.StartsWith("/objects/", StringComparison.Ordinal)
                && Objects.TryGetValue(path["/objects/".Length..], out var obj))
            {
                var range = request.Headers["Range"];
                RangeRequests.Enqueue(range ?? string.Empty);
                var (from, to) = (0L, obj.LongLength - 1);
                if (range is not null && range.StartsWith("bytes=", StringComparison.Ordinal))
                {
                    var bounds = range["bytes=".Length..].Split('-');
                    from = long.Parse(bounds[0], System.Globalization.CultureInfo.InvariantCulture);
                    to = long.Parse(bounds[1], System.Globalization.CultureInfo.InvariantCulture);
                    response.StatusCode = 206;
                    response.Headers["Content-Range"] = $"bytes {from}-{to}/{obj.Length}";
                }

                response.ContentLength64 = to - from + 1;
                await response.OutputStream.WriteAsync(obj.AsMemory((int)from, (int)(to - from + 1)));
            }
            else if (request.HttpMethod == "PUT" && path.StartsWith("/parts/", StringComparison.Ordinal))
            {
                if (request.ContentLength64 < 0)
                {
                    response.StatusCode = 411; // S3 rejects part uploads without Content-Length.
                }
                else
                {
                    using var body = new MemoryStream();
                    await request.InputStream.CopyToAsync(body);
                    var bytes = body.ToArray();
                    Parts[path["/parts/".Length..]] = bytes;
                    response.Headers["ETag"] = ETagOf(bytes);
                    response.StatusCode = 200;
                }
            }
            else
            {
                response.StatusCode = 404;
            }
        }
        catch (Exception)
        {
            response.StatusCode = 500;
        }
        finally
        {
            response.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Executor.Protocol.FunctionExecutorV1;

namespace TestFunctionExecutor;

/// <summary>
/// Reads and writes presigned BLOBs the way the real FE does:
/// readable BLOB = every chunk carries the URI of the whole object, read at absolute offsets
/// (file:// seek, http(s) Range GET); writable BLOB = one URI per chunk (file:// write at the
/// chunk's offset + MD5 hex ETag, http(s) PUT with Content-Length + ETag response header).
/// s3:// URIs are fetched as https://.
/// </summary>
internal sealed class BlobStore(HttpClient http)
{
    private const int MaxAttempts = 4;

    public async Task<byte[]> ReadAsync(BLOB blob, long offset, long size, CancellationToken cancellationToken)
    {
        var total = blob.Chunks.Sum(c => (long)c.Size);
        if (offset < 0 || size < 0 || offset + size > total)
        {
            throw new InvalidOperationException($"read of {size} bytes at offset {offset} is out of bounds of BLOB '{blob.Id}' of size {total}");
        }

        var result = new byte[size];
        long chunkStart = 0;
        foreach (var chunk in blob.Chunks)
        {
            var chunkEnd = chunkStart + (long)chunk.Size;
            var from = Math.Max(offset, chunkStart);
            var to = Math.Min(offset + size, chunkEnd);
            if (from < to)
            {
                // Chunk URIs point at the start of the object, not of the chunk.
                await ReadRangeAsync(chunk.Uri, from, result.AsMemory((int)(from - offset), (int)(to - from)), cancellationToken).ConfigureAwait(false);
            }

            chunkStart = chunkEnd;
        }

        return result;
    }

    /// <summary>Writes <paramref name="data"/> from the BLOB's start; returns the chunks used with actual sizes and ETags.</summary>
    public async Task<BLOB> WriteAsync(BLOB destination, OutputSource data, CancellationToken cancellationToken)
    {
        var capacity = destination.Chunks.Sum(c => (long)c.Size);
        if (data.Length > capacity)
        {
            throw new InvalidOperationException($"data size {data.Length} exceeds the size {capacity} of BLOB '{destination.Id}'");
        }

        var uploaded = new BLOB { Id = destination.Id };
        var uploads = new List<Task<BLOBChunk>>();
        long offset = 0;
        foreach (var chunk in destination.Chunks)
        {
            if (offset >= data.Length)
            {
                break;
            }

            var count = Math.Min((long)chunk.Size, data.Length - offset);
            uploads.Add(WriteChunkAsync(chunk, data, offset, count, cancellationToken));
            offset += count;
        }

        uploaded.Chunks.AddRange(await Task.WhenAll(uploads).ConfigureAwait(false));
        return uploaded;
    }

    private async Task<BLOBChunk> WriteChunkAsync(BLOBChunk chunk, OutputSource data, long offset, long count, CancellationToken cancellationToken)
    {
        var etag = IsFile(chunk.Uri)
            ? await WriteFileAsync(FilePath(chunk.Uri), data, offset, count, cancellationToken).ConfigureAwait(false)
            : await PutAsync(chunk.Uri, data, offset, count, cancellationToken).ConfigureAwait(false);
        var written = chunk.Clone();
        written.Size = (ulong)count;
        written.Etag = etag;
        return written;
    }

    private async Task ReadRangeAsync(string uri, long from, Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (IsFile(uri))
        {
            var path = FilePath(uri);
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1, useAsync: true);
            file.Position = from;
            await file.ReadExactlyAsync(destination, cancellationToken).ConfigureAwait(false);
            return;
        }

        var to = from + destination.Length - 1;
        await WithRetriesAsync(uri, async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, HttpUri(uri));
            request.Headers.Range = new RangeHeaderValue(from, to);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            EnsureSuccess(response, "GET", uri);
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.PartialContent)
            {
                // A server that ignores Range sends the whole object: skip to the range.
                await SkipAsync(body, from, cancellationToken).ConfigureAwait(false);
            }

            await body.ReadExactlyAsync(destination, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<string> WriteFileAsync(string path, OutputSource data, long offset, long count, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        // Several chunks of one BLOB may write the same file concurrently, each at its own offset.
        await using var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1, useAsync: true);
        file.Position = offset;
        var buffer = new byte[(int)Math.Min(OutputSource.BufferSize, Math.Max(1, count))];
        for (long done = 0; done < count; done += buffer.Length)
        {
            var n = (int)Math.Min(buffer.Length, count - done);
            data.Fill(offset + done, buffer.AsSpan(0, n));
            md5.AppendData(buffer, 0, n);
            await file.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
        }

        return Convert.ToHexStringLower(md5.GetHashAndReset());
    }

    private Task<string> PutAsync(string uri, OutputSource data, long offset, long count, CancellationToken cancellationToken)
        => WithRetriesAsync(uri, async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, HttpUri(uri)) { Content = data.ToContent(offset, count) };
            using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            EnsureSuccess(response, "PUT", uri);
            if (!response.Headers.TryGetValues("ETag", out var values))
            {
                throw new InvalidOperationException($"PUT {Redact(uri)} returned no ETag header");
            }

            // The raw header value (quotes included), as S3 wants it back in CompleteMultipartUpload.
            return values.First();
        }, cancellationToken);

    /// <summary>3 retries with exponential backoff from 100 ms; 400/403/404 are final (as in the real FE).</summary>
    private static async Task<T> WithRetriesAsync<T>(string uri, Func<Task<T>> operation, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await operation().ConfigureAwait(false);
            }
            catch (Exception ex) when (attempt < MaxAttempts && IsRetriable(ex) && !cancellationToken.IsCancellationRequested)
            {
                FeLog.Error($"BLOB request to {Redact(uri)} failed (attempt {attempt}), retrying: {ex.Message}");
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
    }

    private static bool IsRetriable(Exception ex) => ex switch
    {
        HttpRequestException { StatusCode: HttpStatusCode.BadRequest or HttpStatusCode.Forbidden or HttpStatusCode.NotFound } => false,
        HttpRequestException or IOException => true,
        _ => false,
    };

    private static void EnsureSuccess(HttpResponseMessage response, string method, string uri)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{method} {Redact(uri)} answered {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
        }
    }

    private static async Task SkipAsync(Stream body, long count, CancellationToken cancellationToken)
    {
        var buffer = new byte[(int)Math.Min(OutputSource.BufferSize, Math.Max(1, count))];
        while (count > 0)
        {
            var n = await body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new EndOfStreamException("object shorter than the requested range");
            }

            count -= n;
        }
    }

    private static bool IsFile(string uri) => uri.StartsWith("file://", StringComparison.Ordinal);

    /// <summary>The URI minus "file://", no percent-decoding, must be absolute (as in the real FE).</summary>
    private static string FilePath(string uri)
    {
        var path = uri["file://".Length..];
        if (!Path.IsPathRooted(path))
        {
            throw new InvalidOperationException($"BLOB file path {path} must be absolute");
        }

        return path;
    }

    /// <summary>Presigned S3 GET URIs arrive as s3://…; fetch them over https.</summary>
    private static Uri HttpUri(string uri)
        => new(uri.StartsWith("s3://", StringComparison.Ordinal) ? "https://" + uri["s3://".Length..] : uri);

    /// <summary>Presigned query strings carry credentials: keep them out of logs.</summary>
    private static string Redact(string uri)
    {
        var query = uri.IndexOf('?', StringComparison.Ordinal);
        return query < 0 ? uri : uri[..query] + "?…";
    }
}

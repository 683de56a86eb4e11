using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace Executor.BlobStore.Tests.Infrastructure;

/// <summary>
/// Does with presigned BLOBs what the Tensorlake Function Executor does, using nothing but a plain
/// <see cref="HttpClient"/> and file I/O (executor-behavior.md §10.2):
/// reads with HTTP <c>Range</c> requests on the one GET URI (or at offsets in a file:// path), and writes
/// each used chunk with an HTTP PUT (or, for file://, at the chunk's offset in the named file, returning
/// the MD5 hex of the bytes as ETag).
/// </summary>
public static class FunctionExecutorEmulator
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>A writable chunk handed to the FE: layout span plus its upload URI.</summary>
    public sealed record WritableChunk(BlobChunkSpan Span, string Uri);

    /// <summary>Presigns a writable BLOB of <paramref name="size"/> bytes as the executor does.</summary>
    public static async Task<IReadOnlyList<WritableChunk>> PresignWritableAsync(
        IBlobStore store, string uri, string uploadId, long size, BlobStoreOptions options)
    {
        var chunks = new List<WritableChunk>();
        foreach (var span in BlobLayout.WritableChunks(size, options))
        {
            chunks.Add(new WritableChunk(span, await store.PresignUploadPartAsync(uri, uploadId, span.PartNumber, CancellationToken.None)));
        }

        return chunks;
    }

    /// <summary>
    /// Writes <paramref name="data"/> from the start of the BLOB as the FE does: chunks filled in order, the
    /// unused ones skipped, all written in parallel; returns the ETags of the used chunks in order. Empty
    /// data uses no chunk unless <paramref name="writeEmptyChunk"/> (the FE's <c>[b""]</c> case).
    /// </summary>
    public static async Task<IReadOnlyList<string>> WriteAsync(IReadOnlyList<WritableChunk> chunks, byte[] data, bool writeEmptyChunk = false)
    {
        var writes = new List<Task<string>>();
        foreach (var chunk in chunks)
        {
            var start = chunk.Span.Offset;
            if (start >= data.Length && !(writeEmptyChunk && data.Length == 0 && writes.Count == 0))
            {
                break;
            }

            var length = (int)Math.Min(chunk.Span.Size, data.Length - start);
            var slice = new ReadOnlyMemory<byte>(data, (int)start, length);
            writes.Add(Task.Run(() => WriteChunkAsync(chunk.Uri, start, slice)));
        }

        return await Task.WhenAll(writes);
    }

    /// <summary>Reads <paramref name="size"/> bytes at <paramref name="offset"/> from a readable BLOB (one URI for every chunk).</summary>
    public static async Task<byte[]> ReadAsync(string getUri, long blobSize, long offset, long size, BlobStoreOptions options)
    {
        var result = new byte[size];
        var reads = new List<Task>();
        foreach (var chunk in BlobLayout.ReadableChunks(blobSize, options))
        {
            var from = Math.Max(chunk.Offset, offset);
            var to = Math.Min(chunk.End, offset + size);
            if (from >= to)
            {
                continue;
            }

            reads.Add(Task.Run(async () =>
            {
                var bytes = await ReadRangeAsync(getUri, from, to - from);
                Assert.Equal(to - from, bytes.Length);
                bytes.CopyTo(result, from - offset);
            }));
        }

        await Task.WhenAll(reads);
        return result;
    }

    /// <summary>One ranged read: HTTP <c>Range: bytes=from-to</c>, or a read at an offset for file://.</summary>
    public static async Task<byte[]> ReadRangeAsync(string uri, long offset, long length)
    {
        if (uri.StartsWith("file://", StringComparison.Ordinal))
        {
            using var handle = File.OpenHandle(uri["file://".Length..]);
            var buffer = new byte[length];
            var read = await RandomAccess.ReadAsync(handle, buffer, offset);
            return buffer[..read];
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, HttpUri(uri));
        request.Headers.Range = new RangeHeaderValue(offset, offset + length - 1);
        using var response = await Http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"ranged GET answered {(int)response.StatusCode}");
        return await response.Content.ReadAsByteArrayAsync();
    }

    /// <summary>Plain GET of the whole object through a presigned URI.</summary>
    public static async Task<byte[]> GetAsync(string uri)
    {
        using var response = await Http.GetAsync(HttpUri(uri));
        Assert.True(response.IsSuccessStatusCode, $"GET answered {(int)response.StatusCode}");
        return await response.Content.ReadAsByteArrayAsync();
    }

    private static async Task<string> WriteChunkAsync(string uri, long offset, ReadOnlyMemory<byte> data)
    {
        if (uri.StartsWith("file://", StringComparison.Ordinal))
        {
            // As the FE: create the file if missing, open it read-write, write at the chunk's offset.
            var path = uri["file://".Length..];
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using (var handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite))
            {
                await RandomAccess.WriteAsync(handle, data, offset);
            }

            return Convert.ToHexStringLower(MD5.HashData(data.Span));
        }

        using var content = new ReadOnlyMemoryContent(data);
        content.Headers.ContentLength = data.Length;
        using var response = await Http.PutAsync(HttpUri(uri), content);
        Assert.True(response.IsSuccessStatusCode, $"part PUT answered {(int)response.StatusCode}");
        return response.Headers.ETag?.Tag ?? throw new InvalidOperationException("no ETag in the part PUT answer");
    }

    // The FE turns s3:// back into https://.
    private static string HttpUri(string uri)
        => uri.StartsWith("s3://", StringComparison.Ordinal) ? "https://" + uri["s3://".Length..] : uri;
}

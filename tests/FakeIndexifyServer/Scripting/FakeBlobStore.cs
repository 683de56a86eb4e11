using System.Security.Cryptography;
using Executor.Protocol.ServerV1;

namespace FakeIndexifyServer;

/// <summary>
/// The blob root the fake hands out in URIs (code payloads, request URI prefixes), plus helpers that write
/// payloads under a local file:// root and describe them the way the server does (uri, size, sha256, encoding).
/// </summary>
public sealed class FakeBlobStore
{
    internal FakeBlobStore(string rootUrl, string? localDirectory)
    {
        RootUrl = rootUrl.TrimEnd('/');
        LocalDirectory = localDirectory;
    }

    /// <summary>For example "file:///tmp/fake-indexify-blobs-…" or "s3://bucket".</summary>
    public string RootUrl { get; }

    /// <summary>The directory behind a file:// root; null for other roots.</summary>
    public string? LocalDirectory { get; }

    /// <summary>The value of both request_data_payload_uri_prefix and request_error_payload_uri_prefix.</summary>
    public string RequestUriPrefix(string @namespace, string application, string requestId) =>
        $"{RootUrl}/{@namespace}/{application}/{requestId}";

    /// <summary>A payload description of <paramref name="content"/> stored at <paramref name="relativePath"/>, without writing anything.</summary>
    public DataPayload Describe(string relativePath, ReadOnlySpan<byte> content, string contentType = PayloadEncodings.OctetStream, ulong metadataSize = 0) =>
        new()
        {
            Id = Ids.New("payload"),
            Uri = $"{RootUrl}/{relativePath.TrimStart('/')}",
            Encoding = PayloadEncodings.FromMimeType(contentType),
            EncodingVersion = 0,
            ContentType = contentType,
            MetadataSize = metadataSize,
            Offset = 0,
            Size = (ulong)content.Length,
            Sha256Hash = Convert.ToHexStringLower(SHA256.HashData(content)),
        };

    /// <summary>Writes <paramref name="content"/> under the local root and describes it. Only for file:// roots.</summary>
    public DataPayload Put(string relativePath, ReadOnlySpan<byte> content, string contentType = PayloadEncodings.OctetStream, ulong metadataSize = 0)
    {
        var path = LocalPath(relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content.ToArray());
        return Describe(relativePath, content, contentType, metadataSize);
    }

    /// <summary>Writes a request-scoped payload (an allocation argument) under the request's URI prefix.</summary>
    public DataPayload PutRequestPayload(string @namespace, string application, string requestId, string name, ReadOnlySpan<byte> content, string contentType = PayloadEncodings.OctetStream, ulong metadataSize = 0) =>
        Put($"{@namespace}/{application}/{requestId}/{name}", content, contentType, metadataSize);

    /// <summary>Reads the bytes a payload points at (offset and size honoured), e.g. an output the executor uploaded.</summary>
    public byte[] Read(DataPayload payload)
    {
        if (!payload.Uri.StartsWith(RootUrl + "/", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{payload.Uri} is not under {RootUrl}");
        }

        var bytes = File.ReadAllBytes(LocalPath(payload.Uri[(RootUrl.Length + 1)..]));
        var offset = (int)payload.Offset;
        var size = payload.HasSize ? (int)payload.Size : bytes.Length - offset;
        return bytes.AsSpan(offset, size).ToArray();
    }

    private string LocalPath(string relativePath)
    {
        if (LocalDirectory is null)
        {
            throw new InvalidOperationException($"The blob root {RootUrl} has no local directory.");
        }

        return Path.Combine(LocalDirectory, relativePath.TrimStart('/').Replace('/', Path.DirectorySeparatorChar));
    }
}

using System.Security.Cryptography;
using System.Text;
using Executor.Model;

namespace Executor.Grains.Tests.Infrastructure;

/// <summary>A file:// blob root under the test's directory: writes payloads and describes them as the Server does.</summary>
public sealed class TestBlobs(string root)
{
    public string Root { get; } = root;

    public string RootUri => "file://" + Root;

    /// <summary>The request's URI prefix (request data and request errors go under it).</summary>
    public string RequestPrefix(string @namespace, string application, string requestId) => $"{RootUri}/{@namespace}/{application}/{requestId}";

    public DataPayloadRef Put(string relativePath, byte[] content, PayloadEncoding encoding, string contentType)
    {
        var path = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return new DataPayloadRef
        {
            Uri = $"{RootUri}/{relativePath}",
            Encoding = encoding,
            ContentType = contentType,
            Size = (ulong)content.Length,
            Sha256 = Convert.ToHexStringLower(SHA256.HashData(content)),
            Id = Path.GetFileName(relativePath),
        };
    }

    public DataPayloadRef PutJson(string relativePath, string json) => Put(relativePath, Encoding.UTF8.GetBytes(json), PayloadEncoding.Utf8Json, "application/json");

    /// <summary>The bytes a payload describes (offset and size honoured), e.g. an output the executor reported.</summary>
    public byte[] Read(DataPayloadRef payload)
    {
        var uri = new Uri(payload.Uri);
        var bytes = File.ReadAllBytes(uri.LocalPath);
        return bytes.AsSpan(checked((int)payload.Offset), checked((int)payload.Size)).ToArray();
    }

    public string ReadText(DataPayloadRef payload) => Encoding.UTF8.GetString(Read(payload));
}

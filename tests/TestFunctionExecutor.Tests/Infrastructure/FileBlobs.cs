using System.Security.Cryptography;
using Executor.Protocol.FunctionExecutorV1;
using Google.Protobuf;

namespace TestFunctionExecutor.Tests.Infrastructure;

/// <summary>BLOBs as the executor's local (file://) BLOB store presigns them.</summary>
public static class FileBlobs
{
    public const long DefaultChunkSize = 100L * 1024 * 1024;

    public static string Uri(string path) => "file://" + path;

    /// <summary>Readable BLOB covering <paramref name="size"/> bytes: every chunk carries the same URI (of the whole object).</summary>
    public static BLOB Readable(string uri, long size, long chunkSize = DefaultChunkSize)
    {
        var blob = new BLOB();
        for (long offset = 0; offset < size; offset += chunkSize)
        {
            blob.Chunks.Add(new BLOBChunk { Uri = uri, Size = (ulong)Math.Min(chunkSize, size - offset) });
        }

        return blob;
    }

    /// <summary>Writable BLOB with an id; for file:// every chunk names the same file and the FE writes at the chunk's offset.</summary>
    public static BLOB Writable(string id, string uri, long size, long chunkSize = DefaultChunkSize)
    {
        var blob = Readable(uri, size, chunkSize);
        blob.Id = id;
        return blob;
    }

    public static SerializedObjectManifest Manifest(byte[] data, SerializedObjectEncoding encoding, string? contentType = null)
    {
        var manifest = new SerializedObjectManifest
        {
            Encoding = encoding,
            EncodingVersion = 0,
            Size = (ulong)data.Length,
            MetadataSize = 0,
            Sha256Hash = Sha256(data),
        };
        if (contentType is not null)
        {
            manifest.ContentType = contentType;
        }

        return manifest;
    }

    public static string Sha256(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    public static string Md5(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(MD5.HashData(data));

    public static byte[] ReadRange(string path, long offset, long size)
    {
        using var file = File.OpenRead(path);
        file.Position = offset;
        var bytes = new byte[size];
        file.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>Reads the bytes a result describes out of a file-backed BLOB.</summary>
    public static byte[] ReadValue(SerializedObjectInsideBLOB value, BLOB blob)
    {
        var uri = blob.Chunks.Count > 0 ? blob.Chunks[0].Uri : throw new InvalidOperationException("BLOB without chunks");
        return ReadRange(uri["file://".Length..], (long)value.Offset, (long)value.Manifest.Size);
    }

    public static ByteString Bytes(string text) => ByteString.CopyFromUtf8(text);
}

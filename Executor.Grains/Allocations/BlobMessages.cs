using Executor.BlobStore;
using Executor.Model;
using Google.Protobuf;
using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.Allocations;

/// <summary>
/// Builds the FE protocol's BLOB messages: readable BLOBs (one presigned GET URI repeated in every chunk,
/// covering offset + size) and writable BLOBs (one presigned part URI per chunk, parts numbered from 1).
/// </summary>
public sealed class BlobMessages(IBlobStore blobStore, BlobStoreOptions options)
{
    public IBlobStore Store => blobStore;

    public async Task<Fe.BLOB> ReadableAsync(string uri, long size, CancellationToken cancellationToken)
    {
        // Presigned even for an empty range: that is where the URI is checked (scheme, confinement), so a hostile URI
        // is refused whatever size the Server claims.
        var readUri = await blobStore.PresignGetAsync(uri, cancellationToken).ConfigureAwait(false);
        var blob = new Fe.BLOB();
        var chunks = BlobLayout.ReadableChunks(size, options);
        foreach (var chunk in chunks)
        {
            blob.Chunks.Add(new Fe.BLOBChunk { Uri = readUri, Size = (ulong)chunk.Size });
        }

        return blob;
    }

    public async Task<Fe.BLOB> WritableAsync(string id, string uri, string uploadId, long size, CancellationToken cancellationToken)
    {
        var blob = new Fe.BLOB { Id = id };
        foreach (var chunk in BlobLayout.WritableChunks(size, options))
        {
            var partUri = await blobStore.PresignUploadPartAsync(uri, uploadId, chunk.PartNumber, cancellationToken).ConfigureAwait(false);
            blob.Chunks.Add(new Fe.BLOBChunk { Uri = partUri, Size = (ulong)chunk.Size });
        }

        return blob;
    }

    public static Fe.SerializedObjectManifest Manifest(DataPayloadRef payload)
    {
        if (payload.Encoding == PayloadEncoding.Unknown)
        {
            throw new InvalidDataException($"payload {payload.Uri} has encoding UNKNOWN");
        }

        var manifest = new Fe.SerializedObjectManifest
        {
            Encoding = (Fe.SerializedObjectEncoding)(int)payload.Encoding,
            EncodingVersion = payload.EncodingVersion,
            Size = payload.Size,
            MetadataSize = payload.MetadataSize,
            Sha256Hash = payload.Sha256,
        };
        if (payload.ContentType is not null)
        {
            manifest.ContentType = payload.ContentType;
        }

        if (payload.SourceFunctionCallId is not null)
        {
            manifest.SourceFunctionCallId = payload.SourceFunctionCallId;
        }

        return manifest;
    }

    /// <summary>A payload as the FE reads it: the object at its offset plus a readable BLOB covering offset + size.</summary>
    public async Task<(Fe.SerializedObjectInsideBLOB Value, Fe.BLOB Blob)> ReadablePayloadAsync(DataPayloadRef payload, CancellationToken cancellationToken)
    {
        var value = new Fe.SerializedObjectInsideBLOB { Manifest = Manifest(payload), Offset = payload.Offset };
        var blob = await ReadableAsync(payload.Uri, checked((long)(payload.Offset + payload.Size)), cancellationToken).ConfigureAwait(false);
        return (value, blob);
    }

    public static Fe.SerializedObject ApplicationCode(DataPayloadRef application, byte[] bytes) => new()
    {
        Manifest = Manifest(application),
        Data = ByteString.CopyFrom(bytes),
    };

    public static IReadOnlyList<string> ETags(Fe.BLOB blob) => [.. blob.Chunks.Select(c => c.Etag)];
}

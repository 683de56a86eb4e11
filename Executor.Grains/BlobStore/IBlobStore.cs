namespace Executor.BlobStore;

/// <summary>
/// The executor's view of BLOB storage (executor-behavior.md §10): whole and ranged reads, sizes,
/// writes, presigned URIs handed to Function Executors and multipart uploads the FEs fill in.
/// URIs are <c>file://&lt;absolute path&gt;</c> or <c>s3://&lt;bucket&gt;/&lt;key&gt;</c>.
/// </summary>
/// <remarks>
/// Failures surface as <see cref="BlobStoreException"/>: <see cref="BlobNotFoundException"/> for a missing
/// object or upload, <see cref="BlobAccessDeniedException"/> for a URI outside the allowed roots or with an
/// unsupported scheme. Cancellation surfaces as <see cref="OperationCanceledException"/>.
/// </remarks>
public interface IBlobStore
{
    /// <summary>Reads the whole object.</summary>
    Task<byte[]> GetAsync(string uri, CancellationToken cancellationToken);

    /// <summary>Reads up to <paramref name="length"/> bytes from <paramref name="offset"/> (fewer at the end of the object).</summary>
    Task<byte[]> GetRangeAsync(string uri, long offset, long length, CancellationToken cancellationToken);

    /// <summary>Size of the object in bytes; <see cref="BlobNotFoundException"/> when it does not exist.</summary>
    Task<long> GetSizeAsync(string uri, CancellationToken cancellationToken);

    /// <summary>Writes the whole object, replacing any previous one. Local writes are atomic (temp file + rename).</summary>
    Task PutAsync(string uri, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>A URI an FE can read the object from (with HTTP Range requests for S3).</summary>
    Task<string> PresignGetAsync(string uri, CancellationToken cancellationToken);

    /// <summary>Starts a multipart upload to <paramref name="uri"/>; returns the upload id.</summary>
    Task<string> CreateMultipartUploadAsync(string uri, CancellationToken cancellationToken);

    /// <summary>A URI an FE writes part <paramref name="partNumber"/> (from 1) to: HTTP PUT for S3, a write at the part's offset for file://.</summary>
    Task<string> PresignUploadPartAsync(string uri, string uploadId, int partNumber, CancellationToken cancellationToken);

    /// <summary>Completes the upload from parts 1..n whose ETags are given in order; the object appears atomically.</summary>
    Task CompleteMultipartUploadAsync(string uri, string uploadId, IReadOnlyList<string> partETags, CancellationToken cancellationToken);

    /// <summary>Discards the upload and its parts.</summary>
    Task AbortMultipartUploadAsync(string uri, string uploadId, CancellationToken cancellationToken);
}

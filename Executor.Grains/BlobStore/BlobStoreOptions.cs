namespace Executor.BlobStore;

/// <summary>Configuration of the BLOB store, bound from the <c>BlobStore</c> section.</summary>
public sealed class BlobStoreOptions
{
    public const string SectionName = "BlobStore";

    /// <summary>
    /// Absolute directories <c>file://</c> URIs must resolve into (after <c>..</c> and symlinks). Empty means
    /// any absolute path, as upstream, with a startup warning. Key <c>BlobStore:AllowedRoots:0</c>, …
    /// </summary>
    public List<string> AllowedRoots { get; set; } = [];

    /// <summary>Lifetime of presigned S3 URIs; 1 s to 7 days (the SigV4 maximum, and the default).</summary>
    public TimeSpan PresignExpiry { get; set; } = BlobLayout.PresignExpiry;

    /// <summary>Chunk size of readable BLOBs. Tests lower it to exercise multi-chunk paths cheaply.</summary>
    public long ReadChunkSize { get; set; } = BlobLayout.ReadChunkSize;

    /// <summary>Size of write parts 1..100.</summary>
    public long WritePartSizeFirst100 { get; set; } = BlobLayout.WritePartSizeFirst100;

    /// <summary>Size of write parts 101 and later.</summary>
    public long WritePartSizeAfter { get; set; } = BlobLayout.WritePartSizeAfter;

    /// <summary>
    /// Whether a finished <c>file://</c> object (a completed multipart upload or a put) is flushed to disk (fsync) before it
    /// is renamed into place and reported to the Server. <c>true</c> (default): an object the executor reported survives a
    /// power loss, as one in S3 would. <c>false</c>: completing costs no disk flush (0.2 ms at best, several ms on a busy
    /// disk, per allocation), and a power loss within the kernel's write-back delay can lose or truncate objects already
    /// reported. Key <c>BlobStore:LocalFlushToDisk</c>.
    /// </summary>
    public bool LocalFlushToDisk { get; set; } = true;

    /// <summary>S3 client settings; everything not set here comes from the standard AWS configuration.</summary>
    public S3BlobStoreOptions S3 { get; set; } = new();
}

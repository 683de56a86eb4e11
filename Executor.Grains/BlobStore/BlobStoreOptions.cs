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

    /// <summary>S3 client settings; everything not set here comes from the standard AWS configuration.</summary>
    public S3BlobStoreOptions S3 { get; set; } = new();
}

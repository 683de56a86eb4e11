namespace Executor.BlobStore;

/// <summary>
/// S3 client settings (section <c>BlobStore:S3</c>). Credentials are never configured here: they come from
/// the AWS SDK default chain (environment, shared config/credentials files and profiles, container and
/// instance roles), so they never end up in executor configuration dumps.
/// </summary>
public sealed class S3BlobStoreOptions
{
    /// <summary>
    /// Endpoint override, e.g. <c>http://127.0.0.1:4568</c> for an S3-compatible server. When unset,
    /// <c>AWS_ENDPOINT_URL_S3</c>, then <c>AWS_ENDPOINT_URL</c>, then the SDK's own resolution apply.
    /// </summary>
    public string? ServiceUrl { get; set; }

    /// <summary>Region; when unset the SDK's chain (<c>AWS_REGION</c>, profile, instance metadata), else us-east-1.</summary>
    public string? Region { get; set; }

    /// <summary>Path-style addressing (<c>endpoint/bucket/key</c>), which most S3-compatible servers need.</summary>
    public bool ForcePathStyle { get; set; }

    /// <summary>Attempts per S3 call (standard retry mode), as upstream: 3.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Timeout of one HTTP attempt; a hung endpoint fails instead of stalling an allocation.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromMinutes(5);
}

namespace Executor.BlobStore;

/// <summary>Bucket and key of an <c>s3://&lt;bucket&gt;/&lt;key&gt;</c> URI; the key is used verbatim, as upstream.</summary>
public readonly record struct S3Location(string Bucket, string Key)
{
    private const string Scheme = "s3://";

    public static S3Location Parse(string uri)
    {
        if (!uri.StartsWith(Scheme, StringComparison.Ordinal))
        {
            throw new BlobAccessDeniedException($"Not an s3:// URI: {uri}");
        }

        var rest = uri.AsSpan(Scheme.Length);
        var slash = rest.IndexOf('/');
        if (slash <= 0 || slash == rest.Length - 1)
        {
            throw new BlobStoreException($"Malformed S3 URI (expected s3://<bucket>/<key>): {uri}");
        }

        return new S3Location(rest[..slash].ToString(), rest[(slash + 1)..].ToString());
    }
}

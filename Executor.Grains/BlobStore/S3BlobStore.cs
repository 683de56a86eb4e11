using System.Net;
using System.Runtime.InteropServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Executor.BlobStore;

/// <summary>
/// <c>s3://&lt;bucket&gt;/&lt;key&gt;</c> BLOBs through the AWS SDK (executor-behavior.md §10.1, §10.3).
/// </summary>
/// <remarks>
/// Uploads never use aws-chunked encoding: real S3 accepts plain signed bodies, and S3-compatible test
/// servers store the chunk framing as data. Presigned GET URIs start with <c>s3://</c> instead of
/// <c>https://</c> (trap 10; the FE turns them back); an <c>http://</c> endpoint stays http so plain
/// HTTP clients can use it. Upload-part URIs are handed out unchanged.
/// </remarks>
public sealed class S3BlobStore : IBlobStore, IDisposable
{
    private readonly IAmazonS3 _client;
    private readonly BlobStoreOptions _options;
    private readonly Amazon.S3.Protocol _presignProtocol;

    public S3BlobStore(IAmazonS3 client, BlobStoreOptions options)
    {
        _client = client;
        _options = options;
        // Presigning needs the scheme spelled out, else an http endpoint yields https:// URLs.
        _presignProtocol = client.Config.ServiceURL is { } url && url.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
            ? Amazon.S3.Protocol.HTTP
            : Amazon.S3.Protocol.HTTPS;
    }

    public Task<byte[]> GetAsync(string uri, CancellationToken cancellationToken)
    {
        var location = S3Location.Parse(uri);
        return Call("get", uri, cancellationToken, async () =>
        {
            using var response = await _client.GetObjectAsync(
                new GetObjectRequest { BucketName = location.Bucket, Key = location.Key }, cancellationToken).ConfigureAwait(false);
            return await ReadBodyAsync(uri, response, cancellationToken).ConfigureAwait(false);
        });
    }

    public Task<byte[]> GetRangeAsync(string uri, long offset, long length, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var location = S3Location.Parse(uri);
        if (length == 0)
        {
            return Task.FromResult(Array.Empty<byte>()); // an HTTP range cannot be empty
        }

        return Call("ranged get", uri, cancellationToken, async () =>
        {
            using var response = await _client.GetObjectAsync(
                new GetObjectRequest
                {
                    BucketName = location.Bucket,
                    Key = location.Key,
                    ByteRange = new ByteRange(offset, offset + length - 1),
                },
                cancellationToken).ConfigureAwait(false);
            return await ReadBodyAsync(uri, response, cancellationToken).ConfigureAwait(false);
        });
    }

    public Task<long> GetSizeAsync(string uri, CancellationToken cancellationToken)
    {
        var location = S3Location.Parse(uri);
        return Call("get_metadata", uri, cancellationToken, async () =>
        {
            var response = await _client.GetObjectMetadataAsync(
                new GetObjectMetadataRequest { BucketName = location.Bucket, Key = location.Key }, cancellationToken).ConfigureAwait(false);
            return response.ContentLength;
        });
    }

    public Task PutAsync(string uri, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var location = S3Location.Parse(uri);
        return Call("upload", uri, cancellationToken, async () =>
        {
            await PutObjectAsync(location, data, cancellationToken).ConfigureAwait(false);
            return true;
        });
    }

    public Task<string> PresignGetAsync(string uri, CancellationToken cancellationToken)
    {
        var location = S3Location.Parse(uri);
        return Call("presign_uri", uri, cancellationToken, async () =>
        {
            var url = await _client.GetPreSignedURLAsync(new GetPreSignedUrlRequest
            {
                BucketName = location.Bucket,
                Key = location.Key,
                Verb = HttpVerb.GET,
                Protocol = _presignProtocol,
                Expires = Expiry(),
            }).ConfigureAwait(false);
            return url.StartsWith("https://", StringComparison.Ordinal) ? "s3://" + url["https://".Length..] : url;
        });
    }

    public Task<string> CreateMultipartUploadAsync(string uri, CancellationToken cancellationToken)
    {
        var location = S3Location.Parse(uri);
        return Call("create_multipart_upload", uri, cancellationToken, async () =>
        {
            var response = await _client.InitiateMultipartUploadAsync(
                new InitiateMultipartUploadRequest { BucketName = location.Bucket, Key = location.Key }, cancellationToken).ConfigureAwait(false);
            return response.UploadId;
        });
    }

    public Task<string> PresignUploadPartAsync(string uri, string uploadId, int partNumber, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partNumber);
        var location = S3Location.Parse(uri);
        return Call("presign_uri", uri, cancellationToken, () => _client.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        {
            BucketName = location.Bucket,
            Key = location.Key,
            Verb = HttpVerb.PUT,
            Protocol = _presignProtocol,
            Expires = Expiry(),
            UploadId = uploadId,
            PartNumber = partNumber,
        }));
    }

    public Task CompleteMultipartUploadAsync(string uri, string uploadId, IReadOnlyList<string> partETags, CancellationToken cancellationToken)
    {
        var location = S3Location.Parse(uri);
        return Call("complete_multipart_upload", uri, cancellationToken, async () =>
        {
            if (partETags.Count == 0)
            {
                // S3 refuses to complete an upload without parts; an FE that wrote nothing means an empty object.
                await PutObjectAsync(location, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
                await _client.AbortMultipartUploadAsync(
                    new AbortMultipartUploadRequest { BucketName = location.Bucket, Key = location.Key, UploadId = uploadId },
                    cancellationToken).ConfigureAwait(false);
                return true;
            }

            await _client.CompleteMultipartUploadAsync(
                new CompleteMultipartUploadRequest
                {
                    BucketName = location.Bucket,
                    Key = location.Key,
                    UploadId = uploadId,
                    PartETags = partETags.Select((etag, i) => new PartETag(i + 1, etag)).ToList(),
                },
                cancellationToken).ConfigureAwait(false);
            return true;
        });
    }

    public Task AbortMultipartUploadAsync(string uri, string uploadId, CancellationToken cancellationToken)
    {
        var location = S3Location.Parse(uri);
        return Call("abort_multipart_upload", uri, cancellationToken, async () =>
        {
            await _client.AbortMultipartUploadAsync(
                new AbortMultipartUploadRequest { BucketName = location.Bucket, Key = location.Key, UploadId = uploadId },
                cancellationToken).ConfigureAwait(false);
            return true;
        });
    }

    public void Dispose() => _client.Dispose();

    // SigV4 caps presigned URLs at 604 800 s and the SDK rounds the remaining time up, so a full 7 days
    // computed from "now" would come out one second too long.
    private DateTime Expiry()
    {
        var expiry = _options.PresignExpiry >= BlobLayout.PresignExpiry
            ? BlobLayout.PresignExpiry - TimeSpan.FromSeconds(1)
            : _options.PresignExpiry;
        return DateTime.UtcNow.Add(expiry);
    }

    private Task PutObjectAsync(S3Location location, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var body = MemoryMarshal.TryGetArray(data, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(data.ToArray(), writable: false);
        return _client.PutObjectAsync(
            new PutObjectRequest
            {
                BucketName = location.Bucket,
                Key = location.Key,
                InputStream = body,
                AutoCloseStream = true,
                UseChunkEncoding = false,
            },
            cancellationToken);
    }

    private static async Task<byte[]> ReadBodyAsync(string uri, GetObjectResponse response, CancellationToken cancellationToken)
    {
        var length = response.ContentLength;
        if (length > Array.MaxLength)
        {
            throw new BlobStoreException($"S3 get of {uri} failed: {length} bytes do not fit in one buffer; read it in ranges.");
        }

        if (length >= 0)
        {
            var buffer = new byte[length];
            await response.ResponseStream.ReadExactlyAsync(buffer, cancellationToken).ConfigureAwait(false);
            return buffer;
        }

        using var copy = new MemoryStream();
        await response.ResponseStream.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
        return copy.ToArray();
    }

    // Maps SDK failures to BLOB store exceptions. Messages carry the operation, the URI and S3's error
    // code, nothing from the request (signatures, credentials).
    private static async Task<T> Call<T>(string operation, string uri, CancellationToken cancellationToken, Func<Task<T>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (BlobStoreException)
        {
            throw;
        }
        catch (AmazonS3Exception ex) when (IsNotFound(ex))
        {
            throw new BlobNotFoundException($"S3 {operation} of {uri} failed: {ex.ErrorCode ?? "NotFound"} (HTTP 404)", ex);
        }
        catch (AmazonServiceException ex)
        {
            var status = ex.StatusCode == 0 ? "no HTTP status" : $"HTTP {(int)ex.StatusCode}";
            throw new BlobStoreException($"S3 {operation} of {uri} failed: {ex.ErrorCode ?? ex.GetType().Name} ({status})", ex);
        }
        catch (AmazonClientException ex)
        {
            throw new BlobStoreException($"S3 {operation} of {uri} failed: {ex.Message}", ex);
        }
        catch (OperationCanceledException ex)
        {
            throw new BlobStoreException($"S3 {operation} of {uri} timed out.", ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            throw new BlobStoreException($"S3 {operation} of {uri} failed: {ex.Message}", ex);
        }
    }

    private static bool IsNotFound(AmazonS3Exception ex)
        => ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode != "NoSuchBucket";
}

using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Executor.BlobStore;

/// <summary>
/// The executor's <see cref="IBlobStore"/>: dispatches <c>file://</c> to <see cref="LocalBlobStore"/> and
/// <c>s3://</c> to <see cref="S3BlobStore"/>, refuses every other scheme, and meters and logs each call.
/// </summary>
/// <remarks>
/// Upstream sends anything that is not file:// to S3; refusing unknown schemes instead keeps a typo or a
/// hostile URI from turning into an S3 request. The S3 client is built on first S3 use, so an executor
/// that only sees file:// URIs needs no AWS configuration at all, and never loads the AWS SDK: no member of
/// this class names an AWS type (or <see cref="S3BlobStore"/>, whose fields do) outside <see cref="CreateS3"/>,
/// which the JIT compiles only when it first runs (about 2 MiB of mapped SDK code and type data, and startup
/// work, saved on every executor that uses file:// only).
/// </remarks>
public sealed partial class BlobStoreRouter : IBlobStore, IDisposable
{
    private readonly LocalBlobStore _local;
    private readonly Lazy<IBlobStore> _s3;
    private readonly BlobStoreMetrics _metrics;
    private readonly ILogger _logger;

    public BlobStoreRouter(
        IOptions<BlobStoreOptions> options,
        BlobStoreMetrics metrics,
        IS3ClientFactory s3ClientFactory,
        ILoggerFactory? loggerFactory = null)
    {
        var value = options.Value;
        loggerFactory ??= NullLoggerFactory.Instance;
        _logger = loggerFactory.CreateLogger<BlobStoreRouter>();
        _metrics = metrics;
        _local = new LocalBlobStore(value, loggerFactory.CreateLogger<LocalBlobStore>());
        _s3 = new Lazy<IBlobStore>(() => CreateS3(s3ClientFactory, value), LazyThreadSafetyMode.ExecutionAndPublication);

        // The router is a singleton built at startup (BlobStoreStartup), so this is logged once per process.
        if (_local.IsConfined)
        {
            LogConfined(_logger, string.Join(", ", value.AllowedRoots));
        }
        else
        {
            LogUnconfined(_logger);
        }
    }

    public Task<byte[]> GetAsync(string uri, CancellationToken cancellationToken)
        => RunAsync(BlobStoreOperation.Get, uri, async store =>
        {
            var data = await store.GetAsync(uri, cancellationToken).ConfigureAwait(false);
            _metrics.BytesRead(data.Length);
            return data;
        });

    public Task<byte[]> GetRangeAsync(string uri, long offset, long length, CancellationToken cancellationToken)
        => RunAsync(BlobStoreOperation.Get, uri, async store =>
        {
            var data = await store.GetRangeAsync(uri, offset, length, cancellationToken).ConfigureAwait(false);
            _metrics.BytesRead(data.Length);
            return data;
        });

    public Task<long> GetSizeAsync(string uri, CancellationToken cancellationToken)
        => RunAsync(BlobStoreOperation.GetMetadata, uri, store => store.GetSizeAsync(uri, cancellationToken));

    public Task PutAsync(string uri, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        => RunAsync(BlobStoreOperation.Upload, uri, async store =>
        {
            await store.PutAsync(uri, data, cancellationToken).ConfigureAwait(false);
            _metrics.BytesWritten(data.Length);
            return true;
        });

    public Task<string> PresignGetAsync(string uri, CancellationToken cancellationToken)
        => RunAsync(BlobStoreOperation.PresignUri, uri, store => store.PresignGetAsync(uri, cancellationToken));

    public Task<string> CreateMultipartUploadAsync(string uri, CancellationToken cancellationToken)
        => RunAsync(BlobStoreOperation.CreateMultipartUpload, uri, store => store.CreateMultipartUploadAsync(uri, cancellationToken));

    public Task<string> PresignUploadPartAsync(string uri, string uploadId, int partNumber, CancellationToken cancellationToken)
        => RunAsync(BlobStoreOperation.PresignUri, uri, store => store.PresignUploadPartAsync(uri, uploadId, partNumber, cancellationToken));

    public Task CompleteMultipartUploadAsync(string uri, string uploadId, IReadOnlyList<string> partETags, CancellationToken cancellationToken)
        => RunAsync(BlobStoreOperation.CompleteMultipartUpload, uri, async store =>
        {
            await store.CompleteMultipartUploadAsync(uri, uploadId, partETags, cancellationToken).ConfigureAwait(false);
            return true;
        });

    public Task AbortMultipartUploadAsync(string uri, string uploadId, CancellationToken cancellationToken)
        => RunAsync(BlobStoreOperation.AbortMultipartUpload, uri, async store =>
        {
            await store.AbortMultipartUploadAsync(uri, uploadId, cancellationToken).ConfigureAwait(false);
            return true;
        });

    public void Dispose()
    {
        if (_s3.IsValueCreated && _s3.Value is IDisposable s3)
        {
            s3.Dispose();
        }
    }

    // The only place that names the S3 store: compiled (and the AWS SDK loaded) on the first s3:// URI.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static IBlobStore CreateS3(IS3ClientFactory factory, BlobStoreOptions options) => new S3BlobStore(factory.Create(), options);

    private IBlobStore Route(string uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (uri.StartsWith("file://", StringComparison.Ordinal))
        {
            return _local;
        }

        if (uri.StartsWith("s3://", StringComparison.Ordinal))
        {
            return _s3.Value;
        }

        var colon = uri.IndexOf(':', StringComparison.Ordinal);
        var scheme = colon > 0 ? uri[..colon] : "(none)";
        throw new BlobAccessDeniedException($"Unsupported BLOB URI scheme '{scheme}'; only file:// and s3:// are allowed.");
    }

    private async Task<T> RunAsync<T>(BlobStoreOperation operation, string uri, Func<IBlobStore, Task<T>> action)
    {
        using var request = _metrics.Start(operation);
        try
        {
            return await action(Route(uri)).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            request.Failed();
            var op = BlobStoreMetrics.MetricName(operation);
            switch (ex)
            {
                case OperationCanceledException:
                    break;
                case BlobNotFoundException:
                    LogNotFound(_logger, op, SafeUri(uri));
                    break;
                case BlobAccessDeniedException:
                    LogAccessDenied(_logger, op, SafeUri(uri), ex.Message);
                    break;
                case BlobStoreException:
                    LogFailed(_logger, op, SafeUri(uri), ex);
                    break;
                default:
                    // Anything else is a bug or an unexpected SDK failure: still one exception type for callers.
                    LogFailed(_logger, op, SafeUri(uri), ex);
                    throw new BlobStoreException($"BLOB store {op} of {SafeUri(uri)} failed: {ex.GetType().Name}", ex);
            }

            throw;
        }
    }

    // Presigned URLs never reach this class as input, but a caller could pass one by mistake: drop any query.
    private static string SafeUri(string uri)
    {
        var q = uri.IndexOf('?', StringComparison.Ordinal);
        return q < 0 ? uri : uri[..q] + "?…";
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "BLOB store access is unconfined: file:// URIs may name any absolute path on this host. Set BlobStore:AllowedRoots to confine it")]
    private static partial void LogUnconfined(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "BLOB store file:// access confined to {AllowedRoots}")]
    private static partial void LogConfined(ILogger logger, string allowedRoots);

    [LoggerMessage(Level = LogLevel.Debug, Message = "BLOB store {Operation}: {Uri} not found")]
    private static partial void LogNotFound(ILogger logger, string operation, string uri);

    [LoggerMessage(Level = LogLevel.Warning, Message = "BLOB store {Operation} refused for {Uri}: {Reason}")]
    private static partial void LogAccessDenied(ILogger logger, string operation, string uri, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "BLOB store {Operation} of {Uri} failed")]
    private static partial void LogFailed(ILogger logger, string operation, string uri, Exception exception);
}

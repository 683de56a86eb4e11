using System.Security.Cryptography;
using Executor.BlobStore;
using Executor.Model;
using Microsoft.Extensions.Logging;

namespace Executor.FunctionExecutors;

/// <summary>
/// Application code bundles on disk under &lt;cache&gt;/application_cache/&lt;ns&gt;/&lt;app&gt;/&lt;version&gt;/&lt;sha256&gt;.
/// Unlike upstream (wiped at every start, keyed without the hash) entries survive restarts, are written
/// atomically (temp file + rename) and are verified against size and SHA-256 on every read, so a torn or
/// corrupted file is never trusted: it is deleted and fetched again.
/// </summary>
public sealed partial class ApplicationCodeCache(IBlobStore blobStore, string cachePath, ILogger<ApplicationCodeCache> logger)
{
    private readonly string _root = Path.Combine(cachePath, "application_cache");
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    private long _hits;
    private long _downloads;

    public long Hits => Interlocked.Read(ref _hits);

    public long Downloads => Interlocked.Read(ref _downloads);

    public async Task<byte[]> GetAsync(FunctionRef function, DataPayloadRef application, CancellationToken cancellationToken) =>
        (await FetchAsync(function, application, cancellationToken).ConfigureAwait(false)).Bytes;

    /// <summary>The verified bundle: from the cache when a matching entry exists, else downloaded, verified and cached.</summary>
    public async Task<ApplicationCode> FetchAsync(FunctionRef function, DataPayloadRef application, CancellationToken cancellationToken)
    {
        var path = EntryPath(function, application);
        if (File.Exists(path))
        {
            var cached = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
            if (Matches(cached, application))
            {
                Interlocked.Increment(ref _hits);
                LogCacheHit(logger, path);
                return new ApplicationCode(cached, FromCache: true);
            }

            LogCorruptEntry(logger, path);
            TryDelete(path);
        }

        var bytes = await blobStore.GetAsync(application.Uri, cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _downloads);
        if (!Matches(bytes, application))
        {
            throw new InvalidDataException($"application code at {application.Uri} does not match its size {application.Size} / sha256 {application.Sha256}");
        }

        await WriteAtomicallyAsync(path, bytes, cancellationToken).ConfigureAwait(false);
        LogDownloaded(logger, application.Uri, bytes.LongLength, path);
        return new ApplicationCode(bytes, FromCache: false);
    }

    public string EntryPath(FunctionRef function, DataPayloadRef application) => Path.Combine(
        _root,
        SafeName(function.Namespace),
        SafeName(function.Application),
        SafeName(function.Version ?? "_"),
        SafeName(string.IsNullOrEmpty(application.Sha256) ? "nohash" : application.Sha256));

    private static bool Matches(byte[] bytes, DataPayloadRef application)
    {
        // The Server's code payload covers the whole object (offset 0), so size and hash describe these bytes.
        if (application.Size != 0 && (ulong)bytes.LongLength != application.Size)
        {
            return false;
        }

        return string.IsNullOrEmpty(application.Sha256)
            || Convert.ToHexStringLower(SHA256.HashData(bytes)).Equals(application.Sha256, StringComparison.OrdinalIgnoreCase);
    }

    private async Task WriteAtomicallyAsync(string path, byte[] bytes, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
            try
            {
                await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
                {
                    await stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
                    stream.Flush(flushToDisk: true);
                }

                File.Move(temp, path, overwrite: true);
            }
            finally
            {
                TryDelete(temp);
            }
        }
        catch (IOException ex)
        {
            // A cache that cannot be written only costs a download next time.
            LogCacheWriteFailed(logger, ex, path);
        }
        catch (UnauthorizedAccessException ex)
        {
            LogCacheWriteFailed(logger, ex, path);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private static string SafeName(string part)
    {
        var safe = Uri.EscapeDataString(part);
        return safe is "." or ".." || safe.Length == 0 ? "%2E" + safe : safe;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "cached application code {Path} does not match its size/sha256; fetching it again")]
    private static partial void LogCorruptEntry(ILogger logger, string path);

    [LoggerMessage(2, LogLevel.Warning, "could not write application code cache entry {Path}")]
    private static partial void LogCacheWriteFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(3, LogLevel.Debug, "application code taken from the cache: {Path}")]
    private static partial void LogCacheHit(ILogger logger, string path);

    [LoggerMessage(4, LogLevel.Information, "downloaded application code {Uri} ({Size} bytes), cached at {Path}")]
    private static partial void LogDownloaded(ILogger logger, string uri, long size, string path);
}

using System.Buffers;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace Executor.BlobStore;

/// <summary>
/// <c>file://</c> BLOBs on the local file system.
/// </summary>
/// <remarks>
/// Multipart uploads follow what the Tensorlake FE does with <c>file://</c> part URIs: it creates the file
/// named by the URI if missing, opens it read-write, writes each chunk at the chunk's offset in the
/// object and returns the MD5 hex of the chunk as ETag. So every part URI of an upload names one temp
/// file next to the target (<c>&lt;target&gt;.&lt;uploadId&gt;.partial</c>); completing verifies the ETags
/// against the part regions and renames the temp file onto the target. Readers never see a half-written
/// object, and a crash leaves at most a <c>.partial</c> file behind.
/// </remarks>
public sealed partial class LocalBlobStore : IBlobStore
{
    private const string PartialSuffix = ".partial";
    private const int CopyBufferSize = 1 << 20;

    private readonly LocalPathResolver _resolver;
    private readonly BlobStoreOptions _options;
    private readonly ILogger _logger;

    public LocalBlobStore(BlobStoreOptions options, ILogger<LocalBlobStore> logger)
    {
        _options = options;
        _logger = logger;
        _resolver = new LocalPathResolver(options.AllowedRoots);
    }

    /// <summary>True when <see cref="BlobStoreOptions.AllowedRoots"/> confines file:// access.</summary>
    public bool IsConfined => _resolver.IsConfined;

    public async Task<byte[]> GetAsync(string uri, CancellationToken cancellationToken)
    {
        var path = _resolver.Resolve(uri);
        return await Io("get", uri, async () =>
        {
            await using var file = OpenRead(path);
            var length = file.Length;
            if (length > Array.MaxLength)
            {
                throw new BlobStoreException($"Local get of {uri} failed: {length} bytes do not fit in one buffer; read it in ranges.");
            }

            var buffer = new byte[length];
            await file.ReadExactlyAsync(buffer, cancellationToken).ConfigureAwait(false);
            return buffer;
        }).ConfigureAwait(false);
    }

    public async Task<byte[]> GetRangeAsync(string uri, long offset, long length, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var path = _resolver.Resolve(uri);
        return await Io("ranged get", uri, async () =>
        {
            await using var file = OpenRead(path);
            var size = file.Length;
            if (offset > size || (offset == size && length > 0 && size > 0))
            {
                throw new BlobStoreException($"Local ranged get of {uri} failed: offset {offset} is beyond the object's {size} bytes.");
            }

            var count = Math.Min(length, size - offset);
            if (count > Array.MaxLength)
            {
                throw new BlobStoreException($"Local ranged get of {uri} failed: {count} bytes do not fit in one buffer.");
            }

            var buffer = new byte[count];
            var read = 0;
            while (read < count)
            {
                var n = await RandomAccess.ReadAsync(file.SafeFileHandle, buffer.AsMemory(read), offset + read, cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    break; // truncated concurrently
                }

                read += n;
            }

            return read == count ? buffer : buffer[..read];
        }).ConfigureAwait(false);
    }

    public Task<long> GetSizeAsync(string uri, CancellationToken cancellationToken)
    {
        var path = _resolver.Resolve(uri);
        return Io("get_metadata", uri, () =>
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new BlobNotFoundException($"Local BLOB does not exist: {uri}");
            }

            return Task.FromResult(info.Length);
        });
    }

    public async Task PutAsync(string uri, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var path = _resolver.Resolve(uri);
        await Io("upload", uri, async () =>
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temp = $"{path}.{Guid.NewGuid():N}.tmp";
            try
            {
                await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous))
                {
                    await file.WriteAsync(data, cancellationToken).ConfigureAwait(false);
                    file.Flush(flushToDisk: _options.LocalFlushToDisk);
                }

                File.Move(temp, path, overwrite: true);
            }
            catch
            {
                TryDelete(temp);
                throw;
            }

            return true;
        }).ConfigureAwait(false);
    }

    /// <summary>Local URIs are handed to FEs unchanged (the FE reads the file at offsets); only confinement is checked.</summary>
    public Task<string> PresignGetAsync(string uri, CancellationToken cancellationToken)
    {
        _resolver.Resolve(uri);
        return Task.FromResult(uri);
    }

    public async Task<string> CreateMultipartUploadAsync(string uri, CancellationToken cancellationToken)
    {
        var path = _resolver.Resolve(uri);
        return await Io("create_multipart_upload", uri, () =>
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var uploadId = Guid.NewGuid().ToString("N");
            // CreateNew (O_EXCL) never follows a planted symlink at the temp name.
            using (new FileStream(PartialPath(path, uploadId), FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite))
            {
            }

            return Task.FromResult(uploadId);
        }).ConfigureAwait(false);
    }

    /// <summary>Every part of an upload is written into the same temp file, at the part's offset.</summary>
    public Task<string> PresignUploadPartAsync(string uri, string uploadId, int partNumber, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partNumber);
        var partial = ExistingPartial(uri, uploadId);
        return Task.FromResult("file://" + partial);
    }

    public async Task CompleteMultipartUploadAsync(string uri, string uploadId, IReadOnlyList<string> partETags, CancellationToken cancellationToken)
    {
        var target = _resolver.Resolve(uri);
        var partial = ExistingPartial(uri, uploadId);
        await Io("complete_multipart_upload", uri, async () =>
        {
            await using (var file = new FileStream(partial, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, 0, FileOptions.Asynchronous))
            {
                await VerifyPartsAsync(uri, file, partETags, cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: _options.LocalFlushToDisk);
            }

            File.Move(partial, target, overwrite: true);
            return true;
        }).ConfigureAwait(false);
    }

    public async Task AbortMultipartUploadAsync(string uri, string uploadId, CancellationToken cancellationToken)
    {
        var partial = ExistingPartial(uri, uploadId);
        await Io("abort_multipart_upload", uri, () =>
        {
            File.Delete(partial);
            return Task.FromResult(true);
        }).ConfigureAwait(false);
    }

    // The parts cover the file in layout order: parts 1..n-1 full, the last one from its offset to the end
    // of the file. ETags that look like MD5 hex (what the FE returns for file://) are checked; others
    // cannot be, and are accepted with a debug log.
    private async Task VerifyPartsAsync(string uri, FileStream file, IReadOnlyList<string> partETags, CancellationToken cancellationToken)
    {
        var length = file.Length;
        var n = partETags.Count;
        if (n == 0)
        {
            if (length != 0)
            {
                throw new BlobStoreException($"Local complete_multipart_upload of {uri} failed: no parts listed but {length} bytes were written.");
            }

            return;
        }

        var first = _options.WritePartSizeFirst100;
        var after = _options.WritePartSizeAfter;
        var lastOffset = BlobLayout.WritePartOffset(n, first, after);
        var lastMax = BlobLayout.WritePartSize(n, first, after);
        if (length < lastOffset || length - lastOffset > lastMax)
        {
            throw new BlobStoreException(
                $"Local complete_multipart_upload of {uri} failed: {length} bytes were written, which {n} parts cannot cover.");
        }

        // Pooled: a fresh buffer of up to 1 MiB per completion would land on the large-object heap and, under load,
        // trigger full collections.
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(CopyBufferSize, Math.Max(1, length)));
        try
        {
            for (var i = 1; i <= n; i++)
            {
                var etag = partETags[i - 1].Trim().Trim('"');
                if (!Md5Hex().IsMatch(etag))
                {
                    LogUnverifiableETag(_logger, uri, i);
                    continue;
                }

                var offset = BlobLayout.WritePartOffset(i, first, after);
                var size = i < n ? BlobLayout.WritePartSize(i, first, after) : length - lastOffset;
                var actual = await Md5Async(file, offset, size, buffer, cancellationToken).ConfigureAwait(false);
                if (!string.Equals(actual, etag, StringComparison.OrdinalIgnoreCase))
                {
                    throw new BlobStoreException($"Local complete_multipart_upload of {uri} failed: ETag of part {i} does not match the written bytes.");
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task<string> Md5Async(FileStream file, long offset, long size, byte[] buffer, CancellationToken cancellationToken)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var position = offset;
        var end = offset + size;
        while (position < end)
        {
            var want = (int)Math.Min(buffer.Length, end - position);
            var n = await RandomAccess.ReadAsync(file.SafeFileHandle, buffer.AsMemory(0, want), position, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            md5.AppendData(buffer, 0, n);
            position += n;
        }

        return Convert.ToHexStringLower(md5.GetHashAndReset());
    }

    private string ExistingPartial(string uri, string uploadId)
    {
        var target = _resolver.Resolve(uri);
        if (!UploadId().IsMatch(uploadId))
        {
            throw new BlobNotFoundException($"Unknown local multipart upload of {uri}.");
        }

        var partial = _resolver.ResolvePath(PartialPath(target, uploadId));
        if (!File.Exists(partial))
        {
            throw new BlobNotFoundException($"Local multipart upload of {uri} does not exist (completed, aborted or never created).");
        }

        return partial;
    }

    private static string PartialPath(string target, string uploadId) => $"{target}.{uploadId}{PartialSuffix}";

    private static FileStream OpenRead(string path)
        => new(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 0, FileOptions.Asynchronous);

    // Maps file-system errors to BLOB store exceptions naming the operation and the URI.
    private static async Task<T> Io<T>(string operation, string uri, Func<Task<T>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new BlobNotFoundException($"Local BLOB does not exist: {uri}", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new BlobStoreException($"Local {operation} of {uri} failed: access denied by the file system.", ex);
        }
        catch (IOException ex)
        {
            throw new BlobStoreException($"Local {operation} of {uri} failed: {ex.Message}", ex);
        }
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

    [GeneratedRegex("^[0-9a-fA-F]{32}$")]
    private static partial Regex Md5Hex();

    [GeneratedRegex("^[0-9a-f]{32}$")]
    private static partial Regex UploadId();

    [LoggerMessage(Level = LogLevel.Debug, Message = "Part {PartNumber} of the local multipart upload of {Uri} has a non-MD5 ETag; not verified")]
    private static partial void LogUnverifiableETag(ILogger logger, string uri, int partNumber);
}

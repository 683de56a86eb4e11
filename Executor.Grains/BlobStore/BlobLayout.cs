namespace Executor.BlobStore;

/// <summary>
/// How BLOBs are cut into chunks for Function Executors (executor-behavior.md §10.2, trap 11). Pure
/// arithmetic, no protocol types: the allocation code turns the spans into proto chunks with URIs.
/// </summary>
public static class BlobLayout
{
    public const long MiB = 1024L * 1024;
    public const long GiB = 1024 * MiB;
    public const long TiB = 1024 * GiB;

    /// <summary>Chunk size of readable BLOBs (every chunk carries the same presigned URI).</summary>
    public const long ReadChunkSize = 100 * MiB;

    /// <summary>Size of write parts 1..<see cref="PartsAtFirstSize"/>.</summary>
    public const long WritePartSizeFirst100 = 100 * MiB;

    /// <summary>Size of write parts after the first <see cref="PartsAtFirstSize"/>; keeps 5 TiB under S3's 10 000 parts.</summary>
    public const long WritePartSizeAfter = GiB;

    /// <summary>How many write parts use <see cref="WritePartSizeFirst100"/>.</summary>
    public const int PartsAtFirstSize = 100;

    /// <summary>Largest output BLOB an FE may request (larger requests are invalid).</summary>
    public const long MaxOutputBlobSize = 5 * TiB;

    /// <summary>Size of the writable BLOB an FE gets for a request error.</summary>
    public const long RequestErrorBlobSize = 10 * MiB;

    /// <summary>Presigned URI lifetime in seconds: SigV4's maximum, as upstream.</summary>
    public const int PresignExpirySeconds = 7 * 24 * 60 * 60;

    /// <summary>Presigned URI lifetime: 7 days.</summary>
    public static readonly TimeSpan PresignExpiry = TimeSpan.FromSeconds(PresignExpirySeconds);

    /// <summary>
    /// Chunks of a readable BLOB of <paramref name="size"/> bytes: full chunks, the last one trimmed so the
    /// sizes add up to <paramref name="size"/>; none for 0. Callers use one URI for all of them.
    /// </summary>
    public static IReadOnlyList<BlobChunkSpan> ReadableChunks(long size, long chunkSize = ReadChunkSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkSize);
        var chunks = new List<BlobChunkSpan>((int)Math.Min((size + chunkSize - 1) / chunkSize, 1 << 20));
        for (long offset = 0; offset < size; offset += chunkSize)
        {
            chunks.Add(new BlobChunkSpan(chunks.Count + 1, offset, Math.Min(chunkSize, size - offset)));
        }

        return chunks;
    }

    /// <summary>Readable chunks with the chunk size configured in <paramref name="options"/>.</summary>
    public static IReadOnlyList<BlobChunkSpan> ReadableChunks(long size, BlobStoreOptions options)
        => ReadableChunks(size, options.ReadChunkSize);

    /// <summary>
    /// Parts of a writable BLOB of <paramref name="size"/> bytes: part i (from 1) is
    /// <paramref name="firstPartSize"/> for i ≤ 100 and <paramref name="laterPartSize"/> after, the last one
    /// trimmed; none for 0. Each part gets its own upload URI with part number i.
    /// </summary>
    public static IReadOnlyList<BlobChunkSpan> WritableChunks(
        long size, long firstPartSize = WritePartSizeFirst100, long laterPartSize = WritePartSizeAfter)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(firstPartSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(laterPartSize);
        var chunks = new List<BlobChunkSpan>();
        long offset = 0;
        while (offset < size)
        {
            var partNumber = chunks.Count + 1;
            var full = WritePartSize(partNumber, firstPartSize, laterPartSize);
            var chunk = new BlobChunkSpan(partNumber, offset, Math.Min(full, size - offset));
            chunks.Add(chunk);
            offset = chunk.End;
        }

        return chunks;
    }

    /// <summary>Writable parts with the part sizes configured in <paramref name="options"/>.</summary>
    public static IReadOnlyList<BlobChunkSpan> WritableChunks(long size, BlobStoreOptions options)
        => WritableChunks(size, options.WritePartSizeFirst100, options.WritePartSizeAfter);

    /// <summary>Full (untrimmed) size of write part <paramref name="partNumber"/>.</summary>
    public static long WritePartSize(int partNumber, long firstPartSize = WritePartSizeFirst100, long laterPartSize = WritePartSizeAfter)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partNumber);
        return partNumber <= PartsAtFirstSize ? firstPartSize : laterPartSize;
    }

    /// <summary>Offset in the object where write part <paramref name="partNumber"/> starts.</summary>
    public static long WritePartOffset(int partNumber, long firstPartSize = WritePartSizeFirst100, long laterPartSize = WritePartSizeAfter)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partNumber);
        long before = partNumber - 1;
        var atFirstSize = Math.Min(before, PartsAtFirstSize);
        return checked((atFirstSize * firstPartSize) + ((before - atFirstSize) * laterPartSize));
    }
}

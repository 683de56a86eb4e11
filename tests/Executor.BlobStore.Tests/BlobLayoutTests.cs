namespace Executor.BlobStore.Tests;

public sealed class BlobLayoutTests
{
    [Fact]
    public void Constants_match_upstream()
    {
        Assert.Equal(104_857_600, BlobLayout.ReadChunkSize);
        Assert.Equal(104_857_600, BlobLayout.WritePartSizeFirst100);
        Assert.Equal(1_073_741_824, BlobLayout.WritePartSizeAfter);
        Assert.Equal(5L * 1024 * 1024 * 1024 * 1024, BlobLayout.MaxOutputBlobSize);
        Assert.Equal(10_485_760, BlobLayout.RequestErrorBlobSize);
        Assert.Equal(604_800, BlobLayout.PresignExpiry.TotalSeconds);
    }

    [Fact]
    public void Readable_chunks_are_full_with_the_last_trimmed()
    {
        var chunks = BlobLayout.ReadableChunks((2 * BlobLayout.ReadChunkSize) + 5);
        Assert.Equal(
            [new(1, 0, BlobLayout.ReadChunkSize), new(2, BlobLayout.ReadChunkSize, BlobLayout.ReadChunkSize), new(3, 2 * BlobLayout.ReadChunkSize, 5)],
            chunks);
        Assert.Single(BlobLayout.ReadableChunks(BlobLayout.ReadChunkSize));
        Assert.Empty(BlobLayout.ReadableChunks(0));
        Assert.Equal([new BlobChunkSpan(1, 0, 1)], BlobLayout.ReadableChunks(1));
    }

    [Fact]
    public void Writable_parts_switch_to_the_larger_size_after_part_100()
    {
        var size = (100 * BlobLayout.WritePartSizeFirst100) + BlobLayout.WritePartSizeAfter + 7;
        var parts = BlobLayout.WritableChunks(size);

        Assert.Equal(102, parts.Count);
        Assert.Equal(Enumerable.Range(1, 102), parts.Select(p => p.PartNumber));
        Assert.All(parts.Take(100), p => Assert.Equal(BlobLayout.WritePartSizeFirst100, p.Size));
        Assert.Equal(new BlobChunkSpan(101, 100 * BlobLayout.WritePartSizeFirst100, BlobLayout.WritePartSizeAfter), parts[100]);
        Assert.Equal(7, parts[101].Size);
        Assert.Equal(size, parts.Sum(p => p.Size));
        Assert.All(parts, p => Assert.Equal(BlobLayout.WritePartOffset(p.PartNumber), p.Offset));
        Assert.Empty(BlobLayout.WritableChunks(0));
    }

    [Fact]
    public void Largest_output_blob_fits_in_s3_part_limit()
    {
        var parts = BlobLayout.WritableChunks(BlobLayout.MaxOutputBlobSize);
        Assert.True(parts.Count <= 10_000);
        Assert.Equal(BlobLayout.MaxOutputBlobSize, parts[^1].End);
    }

    [Fact]
    public void Request_error_blob_is_one_part()
        => Assert.Equal([new BlobChunkSpan(1, 0, BlobLayout.RequestErrorBlobSize)], BlobLayout.WritableChunks(BlobLayout.RequestErrorBlobSize));

    [Fact]
    public void Chunk_sizes_follow_the_options()
    {
        var options = new BlobStoreOptions { ReadChunkSize = 10, WritePartSizeFirst100 = 3, WritePartSizeAfter = 50 };
        Assert.Equal(3, BlobLayout.ReadableChunks(25, options).Count);
        var parts = BlobLayout.WritableChunks(300 + 60, options);
        Assert.Equal(102, parts.Count);
        Assert.Equal(new BlobChunkSpan(101, 300, 50), parts[100]);
        Assert.Equal(new BlobChunkSpan(102, 350, 10), parts[101]);
    }
}

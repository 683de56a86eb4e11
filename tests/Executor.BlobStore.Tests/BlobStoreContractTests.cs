using System.Security.Cryptography;
using Executor.BlobStore.Tests.Infrastructure;
using static Executor.BlobStore.Tests.Infrastructure.FunctionExecutorEmulator;

namespace Executor.BlobStore.Tests;

/// <summary>
/// What both stores must do, exercised the way the executor and a Function Executor use them: presigned
/// reads and multipart uploads driven through plain HTTP / file I/O, then read back and compared.
/// </summary>
public abstract class BlobStoreContractTests
{
    protected BlobStoreContractTests(BlobStoreOptions options, IBlobStore store)
    {
        Options = options;
        Store = store;
    }

    protected BlobStoreOptions Options { get; }

    protected IBlobStore Store { get; }

    /// <summary>A fresh URI for this test in the store under test.</summary>
    protected abstract string NewUri(string name);

    [Fact]
    public async Task Put_then_get_size_and_ranges_return_the_bytes()
    {
        var uri = NewUri("put-get");
        var data = RandomBytes(5000);
        await Store.PutAsync(uri, data, CancellationToken.None);

        Assert.Equal(data, await Store.GetAsync(uri, CancellationToken.None));
        Assert.Equal(5000, await Store.GetSizeAsync(uri, CancellationToken.None));
        Assert.Equal(data[1000..3000], await Store.GetRangeAsync(uri, 1000, 2000, CancellationToken.None));
        Assert.Equal(data[4900..], await Store.GetRangeAsync(uri, 4900, 1000, CancellationToken.None)); // trimmed at the end
        Assert.Empty(await Store.GetRangeAsync(uri, 10, 0, CancellationToken.None));
    }

    [Fact]
    public async Task Put_replaces_an_existing_object()
    {
        var uri = NewUri("replace");
        await Store.PutAsync(uri, RandomBytes(3000), CancellationToken.None);
        var second = RandomBytes(10);
        await Store.PutAsync(uri, second, CancellationToken.None);
        Assert.Equal(second, await Store.GetAsync(uri, CancellationToken.None));
    }

    [Fact]
    public async Task Missing_object_is_not_found_for_get_range_and_size()
    {
        var uri = NewUri("missing");
        await Assert.ThrowsAsync<BlobNotFoundException>(() => Store.GetAsync(uri, CancellationToken.None));
        await Assert.ThrowsAsync<BlobNotFoundException>(() => Store.GetRangeAsync(uri, 0, 10, CancellationToken.None));
        var ex = await Assert.ThrowsAsync<BlobNotFoundException>(() => Store.GetSizeAsync(uri, CancellationToken.None));
        Assert.Contains(uri, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Presigned_get_is_readable_by_a_plain_client_whole_and_in_ranges()
    {
        var uri = NewUri("presigned-get");
        var data = RandomBytes((int)(3 * TestStores.SmallChunk) + 123);
        await Store.PutAsync(uri, data, CancellationToken.None);

        var getUri = await Store.PresignGetAsync(uri, CancellationToken.None);

        if (!getUri.StartsWith("file://", StringComparison.Ordinal))
        {
            Assert.Equal(data, await GetAsync(getUri));
        }

        // The FE reads every 1 KiB chunk with its own Range request against the same URI.
        Assert.Equal(data, await ReadAsync(getUri, data.Length, 0, data.Length, Options));
        // An argument inside the BLOB: offset + size, crossing chunk boundaries.
        Assert.Equal(data[1000..2100], await ReadAsync(getUri, data.Length, 1000, 1100, Options));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(1023)]
    [InlineData(1024)] // exactly one part
    [InlineData(1025)] // one byte into the second part
    [InlineData(2048)] // exactly two parts
    [InlineData(3 * 1024 + 517)]
    public async Task Multipart_upload_through_presigned_parts_reads_back_identical(int size)
    {
        var uri = NewUri($"multipart-{size}");
        var data = RandomBytes(size);

        var read = await UploadAsFunctionExecutorAsync(uri, requestedSize: size + 5000, data);

        Assert.Equal(SHA256.HashData(data), SHA256.HashData(read));
        Assert.Equal(size, await Store.GetSizeAsync(uri, CancellationToken.None));
    }

    [Fact]
    public async Task Multipart_upload_past_part_100_uses_the_larger_part_size()
    {
        var uri = NewUri("multipart-102-parts");
        var size = (int)((100 * TestStores.SmallChunk) + TestStores.SmallLaterPart + 300); // parts 1-100, 101 (full), 102 (300 B)
        var data = RandomBytes(size);

        var chunks = BlobLayout.WritableChunks(size, Options);
        Assert.Equal(102, chunks.Count);
        Assert.Equal(TestStores.SmallLaterPart, chunks[100].Size);

        var read = await UploadAsFunctionExecutorAsync(uri, size, data);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(read));
    }

    [Fact]
    public async Task Zero_byte_object_with_no_parts()
    {
        var uri = NewUri("empty-no-parts");
        var read = await UploadAsFunctionExecutorAsync(uri, requestedSize: 0, []);
        Assert.Empty(read);
        Assert.Equal(0, await Store.GetSizeAsync(uri, CancellationToken.None));
        Assert.Empty(await Store.GetAsync(uri, CancellationToken.None));
    }

    [Fact]
    public async Task Zero_byte_object_from_one_empty_part()
    {
        var uri = NewUri("empty-one-part");
        var uploadId = await Store.CreateMultipartUploadAsync(uri, CancellationToken.None);
        var chunks = await PresignWritableAsync(Store, uri, uploadId, 100, Options);
        var etags = await WriteAsync(chunks, [], writeEmptyChunk: true);
        Assert.Single(etags);

        await Store.CompleteMultipartUploadAsync(uri, uploadId, etags, CancellationToken.None);
        Assert.Equal(0, await Store.GetSizeAsync(uri, CancellationToken.None));
    }

    [Fact]
    public async Task Object_is_invisible_until_the_upload_completes()
    {
        var uri = NewUri("invisible");
        var uploadId = await Store.CreateMultipartUploadAsync(uri, CancellationToken.None);
        var chunks = await PresignWritableAsync(Store, uri, uploadId, 3000, Options);
        var etags = await WriteAsync(chunks, RandomBytes(3000));

        await Assert.ThrowsAsync<BlobNotFoundException>(() => Store.GetSizeAsync(uri, CancellationToken.None));
        await Store.CompleteMultipartUploadAsync(uri, uploadId, etags, CancellationToken.None);
        Assert.Equal(3000, await Store.GetSizeAsync(uri, CancellationToken.None));
    }

    [Fact]
    public async Task Abort_discards_the_upload()
    {
        var uri = NewUri("aborted");
        var uploadId = await Store.CreateMultipartUploadAsync(uri, CancellationToken.None);
        var chunks = await PresignWritableAsync(Store, uri, uploadId, 3000, Options);
        var etags = await WriteAsync(chunks, RandomBytes(2500));

        await Store.AbortMultipartUploadAsync(uri, uploadId, CancellationToken.None);

        await Assert.ThrowsAsync<BlobNotFoundException>(() => Store.GetSizeAsync(uri, CancellationToken.None));
        await Assert.ThrowsAsync<BlobNotFoundException>(() => Store.AbortMultipartUploadAsync(uri, uploadId, CancellationToken.None));
        await Assert.ThrowsAnyAsync<BlobStoreException>(() => Store.CompleteMultipartUploadAsync(uri, uploadId, etags, CancellationToken.None));
        await Assert.ThrowsAsync<BlobNotFoundException>(() => Store.GetSizeAsync(uri, CancellationToken.None));
        AssertNoUploadLeftovers(uploadId);
    }

    /// <summary>Store-specific check that an aborted upload left nothing behind.</summary>
    protected abstract void AssertNoUploadLeftovers(string uploadId);

    /// <summary>The executor's side of an output BLOB around an FE that writes <paramref name="data"/>; returns the object's bytes.</summary>
    protected async Task<byte[]> UploadAsFunctionExecutorAsync(string uri, long requestedSize, byte[] data)
    {
        var uploadId = await Store.CreateMultipartUploadAsync(uri, CancellationToken.None);
        var chunks = await PresignWritableAsync(Store, uri, uploadId, requestedSize, Options);
        var etags = await WriteAsync(chunks, data);
        await Store.CompleteMultipartUploadAsync(uri, uploadId, etags, CancellationToken.None);
        return await Store.GetAsync(uri, CancellationToken.None);
    }

    protected static byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }
}

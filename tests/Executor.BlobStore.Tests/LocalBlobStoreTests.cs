using Executor.BlobStore.Tests.Infrastructure;
using Executor.Testing;
using static Executor.BlobStore.Tests.Infrastructure.FunctionExecutorEmulator;

namespace Executor.BlobStore.Tests;

/// <summary>The contract on <c>file://</c>, confined to a temp root, plus what is specific to local files.</summary>
public sealed class LocalBlobStoreTests : BlobStoreContractTests, IDisposable
{
    private readonly TempDirectory _root;

    public LocalBlobStoreTests()
        : this(new TempDirectory("blobstore-local"))
    {
    }

    private LocalBlobStoreTests(TempDirectory root)
        : this(root, TestStores.SmallChunkOptions(null, root.Path))
    {
    }

    private LocalBlobStoreTests(TempDirectory root, BlobStoreOptions options)
        : base(options, TestStores.Router(options))
    {
        _root = root;
    }

    public void Dispose() => _root.Dispose();

    protected override string NewUri(string name) => "file://" + _root.Combine("payloads", name);

    protected override void AssertNoUploadLeftovers(string uploadId)
        => Assert.Empty(Directory.GetFiles(_root.Combine("payloads"), "*.partial"));

    [Fact]
    public async Task Presigned_get_of_a_local_uri_is_the_uri_itself()
    {
        var uri = NewUri("presign");
        Assert.Equal(uri, await Store.PresignGetAsync(uri, CancellationToken.None));
    }

    [Fact]
    public async Task Put_creates_parent_directories_and_leaves_no_temp_files()
    {
        var uri = "file://" + _root.Combine("a", "b", "c", "object");
        await Store.PutAsync(uri, new byte[] { 1, 2, 3 }, CancellationToken.None);

        Assert.Equal(new byte[] { 1, 2, 3 }, await File.ReadAllBytesAsync(_root.Combine("a", "b", "c", "object")));
        Assert.Single(Directory.GetFiles(_root.Combine("a", "b", "c")));
    }

    [Fact]
    public async Task Part_uris_name_one_temp_file_next_to_the_target_and_the_target_appears_only_on_complete()
    {
        var uri = NewUri("parts");
        var target = uri["file://".Length..];
        var uploadId = await Store.CreateMultipartUploadAsync(uri, CancellationToken.None);
        var chunks = await PresignWritableAsync(Store, uri, uploadId, 3000, Options);

        Assert.Equal(3, chunks.Count);
        Assert.Single(chunks.Select(c => c.Uri).Distinct());
        var partFile = chunks[0].Uri["file://".Length..];
        Assert.Equal(Path.GetDirectoryName(target), Path.GetDirectoryName(partFile));
        Assert.EndsWith(".partial", partFile, StringComparison.Ordinal);

        var data = RandomBytes(3000);
        var etags = await WriteAsync(chunks, data);
        Assert.False(File.Exists(target)); // a crash here leaves no half object at the target path

        await Store.CompleteMultipartUploadAsync(uri, uploadId, etags, CancellationToken.None);
        Assert.Equal(data, await File.ReadAllBytesAsync(target));
        Assert.False(File.Exists(partFile));
    }

    [Fact]
    public async Task Parts_written_in_any_order_complete_in_part_order()
    {
        var uri = NewUri("reverse");
        var uploadId = await Store.CreateMultipartUploadAsync(uri, CancellationToken.None);
        var chunks = await PresignWritableAsync(Store, uri, uploadId, 4000, Options);
        var data = RandomBytes(4000);

        var etags = new string[chunks.Count];
        for (var i = chunks.Count - 1; i >= 0; i--)
        {
            etags[i] = (await WriteAsync([chunks[i]], PadTo(chunks[i].Span, data)))[0];
        }

        await Store.CompleteMultipartUploadAsync(uri, uploadId, etags, CancellationToken.None);
        Assert.Equal(data, await Store.GetAsync(uri, CancellationToken.None));
    }

    [Fact]
    public async Task Complete_with_a_wrong_etag_fails_and_creates_nothing()
    {
        var uri = NewUri("bad-etag");
        var uploadId = await Store.CreateMultipartUploadAsync(uri, CancellationToken.None);
        var chunks = await PresignWritableAsync(Store, uri, uploadId, 3000, Options);
        var etags = (await WriteAsync(chunks, RandomBytes(3000))).ToArray();
        etags[1] = new string('0', 32);

        var ex = await Assert.ThrowsAsync<BlobStoreException>(() => Store.CompleteMultipartUploadAsync(uri, uploadId, etags, CancellationToken.None));
        Assert.Contains("part 2", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(uri["file://".Length..]));
    }

    [Fact]
    public async Task Complete_with_fewer_parts_than_were_written_fails()
    {
        var uri = NewUri("missing-part");
        var uploadId = await Store.CreateMultipartUploadAsync(uri, CancellationToken.None);
        var chunks = await PresignWritableAsync(Store, uri, uploadId, 3000, Options);
        var etags = await WriteAsync(chunks, RandomBytes(3000));

        await Assert.ThrowsAsync<BlobStoreException>(() => Store.CompleteMultipartUploadAsync(uri, uploadId, etags.Take(2).ToArray(), CancellationToken.None));
    }

    [Fact]
    public async Task Unknown_upload_ids_are_not_found()
    {
        var uri = NewUri("unknown-upload");
        await Assert.ThrowsAsync<BlobNotFoundException>(() => Store.PresignUploadPartAsync(uri, "0123456789abcdef0123456789abcdef", 1, CancellationToken.None));
        await Assert.ThrowsAsync<BlobNotFoundException>(() => Store.CompleteMultipartUploadAsync(uri, "../../etc/passwd", ["x"], CancellationToken.None));
        await Assert.ThrowsAsync<BlobNotFoundException>(() => Store.AbortMultipartUploadAsync(uri, "not-an-id", CancellationToken.None));
    }

    [Fact]
    public async Task Ranged_get_past_the_end_fails()
    {
        var uri = NewUri("short");
        await Store.PutAsync(uri, new byte[10], CancellationToken.None);
        await Assert.ThrowsAsync<BlobStoreException>(() => Store.GetRangeAsync(uri, 11, 5, CancellationToken.None));
    }

    [Fact]
    public async Task Relative_paths_are_refused()
    {
        await Assert.ThrowsAsync<BlobAccessDeniedException>(() => Store.GetAsync("file://relative/path", CancellationToken.None));
    }

    // The FE writes a chunk's bytes at the chunk's offset; WriteAsync slices from the start of `data`.
    private static byte[] PadTo(BlobChunkSpan span, byte[] data)
        => data[..(int)Math.Min(span.End, data.Length)];
}

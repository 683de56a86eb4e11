using Amazon.S3;
using Executor.BlobStore.Tests.Infrastructure;
using Executor.Testing;

namespace Executor.BlobStore.Tests;

public sealed class RouterTests
{
    [Fact]
    public async Task File_only_use_never_builds_the_s3_client()
    {
        var factory = new ThrowingS3ClientFactory();
        using var temp = new TempDirectory("blobstore-router");
        using var store = TestStores.Router(TestStores.SmallChunkOptions(), s3ClientFactory: factory);

        var uri = "file://" + temp.Combine("x");
        await store.PutAsync(uri, new byte[] { 1, 2 }, CancellationToken.None);
        Assert.Equal(2, await store.GetSizeAsync(uri, CancellationToken.None));
        Assert.Equal(0, factory.Calls);

        // First S3 use builds it (and here fails, as a missing AWS configuration would).
        await Assert.ThrowsAnyAsync<BlobStoreException>(() => store.GetAsync("s3://bucket/key", CancellationToken.None));
        Assert.Equal(1, factory.Calls);
    }

    [Fact]
    public async Task Unknown_schemes_are_refused_even_without_roots()
    {
        using var store = TestStores.Router(TestStores.SmallChunkOptions());
        var ex = await Assert.ThrowsAsync<BlobAccessDeniedException>(() => store.GetAsync("https://host/key?X-Amz-Signature=abc", CancellationToken.None));
        Assert.DoesNotContain("X-Amz-Signature", ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<BlobAccessDeniedException>(() => store.PutAsync("ftp://host/x", new byte[1], CancellationToken.None));
    }

    private sealed class ThrowingS3ClientFactory : IS3ClientFactory
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public IAmazonS3 Create()
        {
            Interlocked.Increment(ref _calls);
            throw new AmazonS3Exception("no AWS configuration in this test");
        }
    }
}

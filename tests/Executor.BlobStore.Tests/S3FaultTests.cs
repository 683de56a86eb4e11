using System.Diagnostics;
using Executor.BlobStore.Tests.Infrastructure;
using static Executor.BlobStore.Tests.Infrastructure.FunctionExecutorEmulator;

namespace Executor.BlobStore.Tests;

/// <summary>S3 failures end in a <see cref="BlobStoreException"/> after upstream's 3 attempts, quickly, never a hang.</summary>
public sealed class S3FaultTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Server_stopped_mid_upload_fails_complete_within_bounded_time()
    {
        await using var server = await S3rverProcess.StartAsync();
        using (var client = S3rverFixture.CreateSdkClient(server.ServiceUrl))
        {
            await client.PutBucketAsync("faults");
        }

        var options = TestStores.SmallChunkOptions(server.ServiceUrl);
        using var store = TestStores.Router(options);
        const string uri = "s3://faults/output";
        var uploadId = await store.CreateMultipartUploadAsync(uri, CancellationToken.None);
        var chunks = await PresignWritableAsync(store, uri, uploadId, 3000, options);
        var etags = await WriteAsync(chunks.Take(1).ToList(), new byte[1024]);

        await server.StopAsync();

        var watch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAnyAsync<BlobStoreException>(
            () => store.CompleteMultipartUploadAsync(uri, uploadId, etags, CancellationToken.None));
        Assert.True(watch.Elapsed < Bound, $"took {watch.Elapsed}");
        Assert.Contains("complete_multipart_upload", ex.Message, StringComparison.Ordinal);
        Assert.Contains(uri, ex.Message, StringComparison.Ordinal);
        AssertNoSecrets(ex);

        await Assert.ThrowsAnyAsync<BlobStoreException>(() => store.GetAsync(uri, CancellationToken.None));
    }

    [Fact]
    public async Task Endpoint_answering_500_fails_after_three_attempts()
    {
        await using var failing = await FailingHttpServer.StartAsync();
        using var store = TestStores.Router(TestStores.SmallChunkOptions(failing.Url));

        var watch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAnyAsync<BlobStoreException>(() => store.GetSizeAsync("s3://bucket/key", CancellationToken.None));
        Assert.True(watch.Elapsed < Bound, $"took {watch.Elapsed}");
        Assert.IsNotType<BlobNotFoundException>(ex);
        Assert.Equal(3, failing.Requests);
        AssertNoSecrets(ex);

        var before = failing.Requests;
        var put = await Assert.ThrowsAnyAsync<BlobStoreException>(() => store.PutAsync("s3://bucket/key", new byte[100], CancellationToken.None));
        Assert.Equal(before + 3, failing.Requests);
        Assert.Contains("HTTP 500", put.Message, StringComparison.Ordinal);
        AssertNoSecrets(put);
    }

    [Fact]
    public async Task Endpoint_that_never_answers_times_out_instead_of_hanging()
    {
        await using var hanging = await FailingHttpServer.StartAsync(hang: true);
        var options = TestStores.SmallChunkOptions(hanging.Url);
        options.S3.RequestTimeout = TimeSpan.FromSeconds(1);
        using var store = TestStores.Router(options);

        var watch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAnyAsync<BlobStoreException>(() => store.CreateMultipartUploadAsync("s3://bucket/key", CancellationToken.None));
        Assert.True(watch.Elapsed < Bound, $"took {watch.Elapsed}");
        AssertNoSecrets(ex);
    }

    [Fact]
    public async Task Caller_cancellation_is_not_reported_as_a_store_failure()
    {
        await using var hanging = await FailingHttpServer.StartAsync(hang: true);
        using var store = TestStores.Router(TestStores.SmallChunkOptions(hanging.Url));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.GetAsync("s3://bucket/key", cancel.Token));
    }

    private static void AssertNoSecrets(Exception ex)
    {
        for (var e = (Exception?)ex; e is not null; e = e.InnerException)
        {
            Assert.DoesNotContain(S3rverProcess.SecretKey, e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("X-Amz-Signature", e.Message, StringComparison.OrdinalIgnoreCase);
        }
    }
}

using Executor.BlobStore.Tests.Infrastructure;

namespace Executor.BlobStore.Tests;

/// <summary>The contract on <c>s3://</c> against a real S3-compatible server (s3rver on 127.0.0.1).</summary>
[Collection(S3rverCollection.Name)]
public sealed class S3BlobStoreTests : BlobStoreContractTests, IDisposable
{
    private readonly S3rverFixture _s3;
    private readonly string _prefix = $"tests/{Guid.NewGuid():N}";

    public S3BlobStoreTests(S3rverFixture s3)
        : this(s3, TestStores.SmallChunkOptions(s3.ServiceUrl))
    {
    }

    private S3BlobStoreTests(S3rverFixture s3, BlobStoreOptions options)
        : base(options, TestStores.Router(options))
    {
        _s3 = s3;
    }

    public void Dispose() => ((IDisposable)Store).Dispose();

    protected override string NewUri(string name) => $"s3://{S3rverFixture.Bucket}/{_prefix}/{name}";

    // s3rver keeps the parts of an upload in a directory named after the upload id; abort must remove it.
    protected override void AssertNoUploadLeftovers(string uploadId)
        => Assert.Empty(Directory.GetDirectories(_s3.Server.DataDirectory, uploadId, SearchOption.AllDirectories));

    [Fact]
    public async Task Abort_removes_stored_parts_on_the_server()
    {
        var uri = NewUri("abort-parts");
        var uploadId = await Store.CreateMultipartUploadAsync(uri, CancellationToken.None);
        var chunks = await FunctionExecutorEmulator.PresignWritableAsync(Store, uri, uploadId, 2048, Options);
        await FunctionExecutorEmulator.WriteAsync(chunks, RandomBytes(2048));
        Assert.Single(Directory.GetDirectories(_s3.Server.DataDirectory, uploadId, SearchOption.AllDirectories));

        await Store.AbortMultipartUploadAsync(uri, uploadId, CancellationToken.None);

        AssertNoUploadLeftovers(uploadId);
    }

    [Fact]
    public async Task Presigned_get_on_an_http_endpoint_stays_http_with_the_upstream_expiry()
    {
        var uri = NewUri("expiry");
        await Store.PutAsync(uri, new byte[] { 42 }, CancellationToken.None);

        var url = await Store.PresignGetAsync(uri, CancellationToken.None);

        Assert.StartsWith(_s3.ServiceUrl + "/", url, StringComparison.Ordinal);
        var expires = int.Parse(System.Web.HttpUtility.ParseQueryString(new Uri(url).Query)["X-Amz-Expires"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expires, BlobLayout.PresignExpirySeconds - 5, BlobLayout.PresignExpirySeconds);
    }

    [Fact]
    public async Task Presign_expiry_can_be_configured_lower()
    {
        var options = TestStores.SmallChunkOptions(_s3.ServiceUrl);
        options.PresignExpiry = TimeSpan.FromMinutes(10);
        using var store = TestStores.Router(options);

        var url = await store.PresignGetAsync(NewUri("short-expiry"), CancellationToken.None);

        var expires = int.Parse(System.Web.HttpUtility.ParseQueryString(new Uri(url).Query)["X-Amz-Expires"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expires, 595, 601);
    }

    [Fact]
    public async Task Upload_part_uris_carry_upload_id_and_part_number()
    {
        var uri = NewUri("part-uri");
        var uploadId = await Store.CreateMultipartUploadAsync(uri, CancellationToken.None);

        var url = await Store.PresignUploadPartAsync(uri, uploadId, 7, CancellationToken.None);

        var query = System.Web.HttpUtility.ParseQueryString(new Uri(url).Query);
        Assert.Equal(uploadId, query["uploadId"]);
        Assert.Equal("7", query["partNumber"]);
        await Store.AbortMultipartUploadAsync(uri, uploadId, CancellationToken.None);
    }

    [Fact]
    public async Task Endpoint_override_is_read_from_AWS_ENDPOINT_URL_S3()
    {
        var options = TestStores.SmallChunkOptions(s3ServiceUrl: null);
        var environment = new Dictionary<string, string> { ["AWS_ENDPOINT_URL_S3"] = _s3.ServiceUrl };
        var factory = new S3ClientFactory(
            options.S3,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<S3ClientFactory>.Instance,
            S3rverFixture.Credentials,
            name => environment.GetValueOrDefault(name));
        using var store = TestStores.Router(options, s3ClientFactory: factory);

        var uri = NewUri("env-endpoint");
        await store.PutAsync(uri, new byte[] { 1, 2, 3 }, CancellationToken.None);
        Assert.Equal(3, await store.GetSizeAsync(uri, CancellationToken.None));
    }

    [Fact]
    public async Task Missing_bucket_is_an_error_not_a_missing_object()
    {
        var ex = await Assert.ThrowsAsync<BlobStoreException>(
            () => Store.GetAsync($"s3://no-such-bucket-{Guid.NewGuid():N}/key", CancellationToken.None));
        Assert.IsNotType<BlobNotFoundException>(ex);
        Assert.Contains("NoSuchBucket", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Malformed_s3_uris_are_refused()
    {
        await Assert.ThrowsAnyAsync<BlobStoreException>(() => Store.GetAsync("s3://bucket-only", CancellationToken.None));
        await Assert.ThrowsAnyAsync<BlobStoreException>(() => Store.GetAsync("s3://bucket/", CancellationToken.None));
    }
}

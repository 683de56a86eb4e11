using Amazon.Runtime;
using Executor.BlobStore.Tests.Infrastructure;

namespace Executor.BlobStore.Tests;

/// <summary>Presigning is computed locally, so https endpoints can be checked without a server (trap 10).</summary>
public sealed class S3PresignTests
{
    private static readonly AWSCredentials FakeCredentials = new BasicAWSCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");

    [Fact]
    public async Task Presigned_get_on_https_is_rewritten_to_s3_and_part_uris_are_not()
    {
        var options = TestStores.SmallChunkOptions("https://s3.example.test");
        using var store = TestStores.Router(options, FakeCredentials);

        var get = await store.PresignGetAsync("s3://bucket/some/key", CancellationToken.None);
        var part = await store.PresignUploadPartAsync("s3://bucket/some/key", "upload-1", 3, CancellationToken.None);

        Assert.StartsWith("s3://s3.example.test/bucket/some/key?", get, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", get, StringComparison.Ordinal);
        Assert.StartsWith("https://s3.example.test/bucket/some/key?", part, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Presigned_get_on_aws_is_an_s3_uri_with_seven_days_expiry()
    {
        var options = TestStores.SmallChunkOptions(s3ServiceUrl: null);
        options.S3.ForcePathStyle = false;
        using var store = TestStores.Router(options, FakeCredentials);

        var get = await store.PresignGetAsync("s3://bucket/key", CancellationToken.None);

        Assert.StartsWith("s3://bucket.s3.", get, StringComparison.Ordinal);
        Assert.Contains("amazonaws.com/key?", get, StringComparison.Ordinal);
        Assert.Contains("X-Amz-Expires=604", get, StringComparison.Ordinal);
    }
}

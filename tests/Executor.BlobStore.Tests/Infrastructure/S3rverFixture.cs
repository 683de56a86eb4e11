using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Executor.BlobStore.Tests.Infrastructure;

/// <summary>
/// Shared s3rver for the S3 test collection: started once, with one bucket created through the SDK;
/// the process is stopped and its data directory removed on dispose.
/// </summary>
public sealed class S3rverFixture : IAsyncLifetime
{
    public const string Bucket = "executor-blobs";

    private S3rverProcess? _server;

    public S3rverProcess Server => _server ?? throw new InvalidOperationException("s3rver not started");

    public string ServiceUrl => Server.ServiceUrl;

    public static AWSCredentials Credentials => new BasicAWSCredentials(S3rverProcess.AccessKey, S3rverProcess.SecretKey);

    public async Task InitializeAsync()
    {
        _server = await S3rverProcess.StartAsync();
        using var client = CreateSdkClient(_server.ServiceUrl);
        await client.PutBucketAsync(new PutBucketRequest { BucketName = Bucket });
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    /// <summary>A raw SDK client for test set-up and inspection (not the code under test).</summary>
    public static AmazonS3Client CreateSdkClient(string serviceUrl) => new(Credentials, new AmazonS3Config
    {
        ServiceURL = serviceUrl,
        ForcePathStyle = true,
        AuthenticationRegion = "us-east-1",
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    });
}

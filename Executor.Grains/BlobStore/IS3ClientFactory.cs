using Amazon.S3;

namespace Executor.BlobStore;

/// <summary>Builds the S3 client; called once, on first S3 use.</summary>
public interface IS3ClientFactory
{
    IAmazonS3 Create();
}

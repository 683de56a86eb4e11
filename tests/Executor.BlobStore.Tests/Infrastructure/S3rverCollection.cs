namespace Executor.BlobStore.Tests.Infrastructure;

/// <summary>S3 tests share one s3rver process.</summary>
[CollectionDefinition(Name)]
public sealed class S3rverCollection : ICollectionFixture<S3rverFixture>
{
    public const string Name = "s3rver";
}

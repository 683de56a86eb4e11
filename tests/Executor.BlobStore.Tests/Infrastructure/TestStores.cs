using Amazon.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Executor.BlobStore.Tests.Infrastructure;

/// <summary>Builds routers the way the executor would, with small chunk sizes to exercise multi-part paths cheaply.</summary>
public static class TestStores
{
    public const long SmallChunk = 1024;
    public const long SmallLaterPart = 4096;

    public static BlobStoreOptions SmallChunkOptions(string? s3ServiceUrl = null, params string[] allowedRoots) => new()
    {
        AllowedRoots = [.. allowedRoots],
        ReadChunkSize = SmallChunk,
        WritePartSizeFirst100 = SmallChunk,
        WritePartSizeAfter = SmallLaterPart,
        S3 = new S3BlobStoreOptions
        {
            ServiceUrl = s3ServiceUrl,
            Region = "us-east-1", // never probe instance metadata from tests
            ForcePathStyle = true,
            RequestTimeout = TimeSpan.FromSeconds(20),
        },
    };

    public static BlobStoreRouter Router(
        BlobStoreOptions options,
        AWSCredentials? credentials = null,
        ILoggerFactory? loggerFactory = null,
        BlobStoreMetrics? metrics = null,
        IS3ClientFactory? s3ClientFactory = null)
    {
        loggerFactory ??= NullLoggerFactory.Instance;
        s3ClientFactory ??= new S3ClientFactory(
            options.S3,
            loggerFactory.CreateLogger<S3ClientFactory>(),
            credentials ?? S3rverFixture.Credentials,
            environment: _ => null); // the developer's AWS_* variables must not leak into tests
        return new BlobStoreRouter(Options.Create(options), metrics ?? NewMetrics(), s3ClientFactory, loggerFactory);
    }

    public static BlobStoreMetrics NewMetrics()
        => new(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
}

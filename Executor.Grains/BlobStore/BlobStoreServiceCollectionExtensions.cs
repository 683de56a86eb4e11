using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Executor.BlobStore;

public static class BlobStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IBlobStore"/> (file:// and s3://), its options bound from the <c>BlobStore</c>
    /// section of <paramref name="configuration"/> and validated at startup, and its metrics.
    /// </summary>
    public static IServiceCollection AddExecutorBlobStore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddMetrics();
        services.AddOptions<BlobStoreOptions>()
            .Bind(configuration.GetSection(BlobStoreOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BlobStoreOptions>, BlobStoreOptionsValidator>());
        services.TryAddSingleton<BlobStoreMetrics>();
        services.TryAddSingleton<IS3ClientFactory>(sp => new S3ClientFactory(
            sp.GetRequiredService<IOptions<BlobStoreOptions>>().Value.S3,
            sp.GetRequiredService<ILogger<S3ClientFactory>>()));
        services.TryAddSingleton<BlobStoreRouter>();
        services.TryAddSingleton<IBlobStore>(sp => sp.GetRequiredService<BlobStoreRouter>());
        services.AddHostedService<BlobStoreStartup>();
        return services;
    }
}

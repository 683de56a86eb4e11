using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Executor.HostResources;

public static class HostResourcesServiceCollectionExtensions
{
    /// <summary>
    /// Registers host resource detection bound to the <c>HostResources</c> section of <paramref name="configuration"/>,
    /// with options validated at startup. Seams (<see cref="IHostFileSystem"/>, <see cref="INvidiaSmiRunner"/>) are
    /// added with TryAdd so tests can register fakes first.
    /// </summary>
    public static IServiceCollection AddExecutorHostResources(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<HostResourcesOptions>()
            .Bind(configuration.GetSection(HostResourcesOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HostResourcesOptions>, HostResourcesOptionsValidator>());
        services.TryAddSingleton<IHostFileSystem, HostFileSystem>();
        services.TryAddSingleton<INvidiaSmiRunner, NvidiaSmiRunner>();
        services.TryAddSingleton<IHostResourcesProvider, HostResourcesProvider>();
        services.TryAddSingleton<FunctionExecutorResourcePool>();
        return services;
    }
}

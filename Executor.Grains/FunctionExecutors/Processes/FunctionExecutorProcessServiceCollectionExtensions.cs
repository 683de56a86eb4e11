using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Executor.FunctionExecutors.Processes;

public static class FunctionExecutorProcessServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="FunctionExecutorProcessOptions"/> (section <c>FunctionExecutor</c>, validated at start),
    /// the <see cref="IFunctionExecutorProcessLauncher"/> and the <see cref="OrphanFunctionExecutorReaper"/>.
    /// </summary>
    public static IServiceCollection AddFunctionExecutorProcesses(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<FunctionExecutorProcessOptions>()
            .Bind(configuration.GetSection(FunctionExecutorProcessOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FunctionExecutorProcessOptions>, FunctionExecutorProcessOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IFunctionExecutorProcessLauncher, FunctionExecutorProcessLauncher>();
        services.TryAddSingleton<OrphanFunctionExecutorReaper>();
        return services;
    }
}

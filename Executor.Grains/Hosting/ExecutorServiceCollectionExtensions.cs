using Executor.Allocations;
using Executor.BlobStore;
using Executor.Configuration;
using Executor.FunctionExecutors;
using Executor.FunctionExecutors.Processes;
using Executor.HostResources;
using Executor.Metrics;
using Executor.Reconciliation;
using Executor.Server;
using Executor.Server.V1;
using Executor.Server.V2;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Executor.Hosting;

public static class ExecutorServiceCollectionExtensions
{
    /// <summary>Everything the executor's grains need: options, Server adapters (v1, v2, negotiation), blob store, FE processes, host resources, metrics.</summary>
    public static IServiceCollection AddExecutorGrains(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ExecutorOptions>().Bind(configuration.GetSection(ExecutorOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ExecutorOptions>, ExecutorOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();

        // The cache path is one setting for the operator; the components that write under it follow it.
        services.AddOptions<FunctionExecutorProcessOptions>().PostConfigure<IOptions<ExecutorOptions>>((fe, executor) =>
        {
            if (string.IsNullOrEmpty(fe.CachePath))
            {
                fe.CachePath = executor.Value.ExpandedCachePath;
            }
        });
        services.AddOptions<HostResourcesOptions>().PostConfigure<IOptions<ExecutorOptions>>((host, executor) =>
        {
            if (configuration[$"{HostResourcesOptions.SectionName}:DiskPath"] is null)
            {
                host.DiskPath = executor.Value.ExpandedCachePath;
            }
        });

        services.AddExecutorBlobStore(configuration);
        services.AddFunctionExecutorProcesses(configuration);
        services.AddExecutorHostResources(configuration);

        services.AddSingleton(sp => CreateIdentity(sp.GetRequiredService<IOptions<ExecutorOptions>>().Value, sp.GetRequiredService<IOptions<FunctionExecutorProcessOptions>>().Value, sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton<ServerMetrics>();
        services.AddSingleton<ExecutorInfoMetrics>();
        services.AddSingleton<ReconcilerMetrics>();
        services.AddSingleton<AllocationMetrics>();
        services.AddSingleton<FunctionExecutorMetrics>();
        services.AddSingleton<ServerChannelHealth>();
        services.AddSingleton<ServerSessionSignals>();
        services.AddSingleton<ServerChannelProvider>();
        services.AddSingleton<FunctionExecutorDescriptionStore>();
        services.AddSingleton<ActiveServerProtocol>();
        services.AddSingleton<IReportTrigger, ExecutorGrainReportTrigger>();
        services.AddSingleton<ServerV1Connection>();
        services.AddSingleton<ServerV2Connection>();
        services.AddSingleton<NegotiatingServerConnection>();
        services.AddSingleton<IServerConnection>(sp => sp.GetRequiredService<NegotiatingServerConnection>());
        services.AddSingleton<DesiredStatePump>();
        services.AddSingleton<HostCapacitySource>();
        services.AddSingleton<IHostCapacitySource>(sp => sp.GetRequiredService<HostCapacitySource>());
        services.AddSingleton(sp => new ApplicationCodeCache(
            sp.GetRequiredService<IBlobStore>(),
            sp.GetRequiredService<IOptions<ExecutorOptions>>().Value.ExpandedCachePath,
            sp.GetRequiredService<ILogger<ApplicationCodeCache>>()));
        services.AddSingleton(sp => new BlobMessages(sp.GetRequiredService<IBlobStore>(), sp.GetRequiredService<IOptions<BlobStoreOptions>>().Value));
        services.AddSingleton<ExecutorReadiness>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, ExecutorLifecycle>();
        return services;
    }

    private static ExecutorIdentity CreateIdentity(ExecutorOptions options, FunctionExecutorProcessOptions feOptions, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger("Executor.Identity");
        var labels = new Dictionary<string, string>(options.Labels, StringComparer.Ordinal)
        {
            // Host labels override user labels of the same name, as upstream.
            ["os"] = ExecutorIdentity.OsLabel(),
            ["architecture"] = ExecutorIdentity.ArchitectureLabel(),
        };
        labels.Remove("python_major_version");
        labels.Remove("python_minor_version");

        // Startup only, before any grain runs: the labels describe the Python that runs user code.
        var python = PythonVersionProbe.DetectAsync(feOptions.Command, CancellationToken.None).GetAwaiter().GetResult();
        if (python is { } version)
        {
            labels["python_major_version"] = version.Major;
            labels["python_minor_version"] = version.Minor;
        }
        else
        {
            logger.LogWarning("could not detect the Python version behind function executor command '{Command}'; python_major_version/python_minor_version labels are not reported", feOptions.Command);
        }

        var allowed = new List<Model.FunctionRef>();
        foreach (var entry in options.Functions)
        {
            if (AllowedFunctionParser.TryParse(entry, out var function, out _))
            {
                allowed.Add(function);
            }
        }

        if (allowed.Count == 0)
        {
            logger.LogWarning("no function allowlist given (-f/--function): this executor will run any function; use only for testing");
        }

        return new ExecutorIdentity(ExecutorIdentity.NewExecutorId(), Environment.MachineName, labels, allowed, options.CatalogEntryName);
    }
}

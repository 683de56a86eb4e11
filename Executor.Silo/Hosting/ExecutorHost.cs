using System.Net;
using Executor.Configuration;
using Executor.Hosting;
using Executor.Metrics;
using Executor.Silo.Monitoring;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry.Metrics;
using Orleans.Configuration;

namespace Executor.Silo.Hosting;

/// <summary>Builds the executor process: an ASP.NET Core host with a localhost-clustered Orleans silo and the monitoring server.</summary>
public static class ExecutorHost
{
    public static WebApplication Build(string[] args, ExecutorCommandLine commandLine, Action<WebApplicationBuilder>? configure = null)
    {
        // The slim builder: no IIS integration, HTTP/3 (QUIC), HTTPS configuration, host filtering, forwarded headers or
        // Debug/EventSource loggers, none of which the HTTP-only loopback monitoring server uses. Their assemblies are
        // then never loaded (startup time and RSS; see BENCHMARKS.md "Runtime settings").
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        // Environment variables (EXECUTOR__ServerAddress, FUNCTIONEXECUTOR__COMMAND, ...) come with the default
        // builder; flags are added last so they win.
        builder.Configuration.AddInMemoryCollection(commandLine.Settings);
        configure?.Invoke(builder);
        var configuration = builder.Configuration;
        var verbosity = configuration.GetValue("Executor:Verbosity", 0);
        ConfigureLogging(builder, verbosity);

        var executor = configuration.GetSection(ExecutorOptions.Section).Get<ExecutorOptions>() ?? new ExecutorOptions();
        var dashboard = configuration.GetValue("Executor:Dashboard", builder.Environment.IsDevelopment());
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // "localhost" binds the IPv4 loopback explicitly rather than whatever the name resolves to.
            var host = executor.MonitoringHost;
            var address = host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
                : IPAddress.TryParse(host, out var parsed) ? parsed
                : Dns.GetHostAddresses(host).First();
            kestrel.Listen(address, executor.MonitoringPort);
        });
        builder.Host.ConfigureHostOptions(o =>
        {
            o.ShutdownTimeout = executor.ShutdownTimeout + TimeSpan.FromSeconds(10);

            // The silo and the monitoring server start side by side: /monitoring/startup answers 503 until the
            // executor is ready anyway, and Kestrel no longer waits for the whole silo start.
            o.ServicesStartConcurrently = true;
        });

        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(
                siloPort: configuration.GetValue("Orleans:SiloPort", EndpointOptions.DEFAULT_SILO_PORT),
                gatewayPort: configuration.GetValue("Orleans:GatewayPort", EndpointOptions.DEFAULT_GATEWAY_PORT),
                serviceId: "indexify-executor",
                clusterId: "executor-" + Environment.ProcessId);
            silo.Configure<GrainCollectionOptions>(o => o.CollectionAge = TimeSpan.FromDays(1));

            // One silo with a handful of grains: the default directory cache (1,000,000 entries) preallocates ~18 MB.
            silo.Configure<GrainDirectoryOptions>(o => o.CacheSize = 1000);
            silo.Services.AddExecutorGrains(configuration);
            if (dashboard)
            {
                DashboardHosting.Add(silo);
            }
        });

        var runtimeMetrics = configuration.GetValue("Executor:RuntimeMetrics", false);
        builder.Services.AddOpenTelemetry().WithMetrics(metrics =>
        {
            metrics.AddMeter(ExecutorMeter.Name).AddPrometheusExporter();
            if (runtimeMetrics)
            {
                metrics.AddMeter("Microsoft.Orleans").AddRuntimeInstrumentation();
            }
        });

        var app = builder.Build();
        app.MapMonitoringEndpoints();
        if (dashboard)
        {
            DashboardHosting.Map(app);
        }

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Executor");
        if (commandLine.UnknownArguments.Count > 0)
        {
            logger.LogWarning("Unknown arguments passed to the executor: {UnknownArguments}", string.Join(' ', commandLine.UnknownArguments));
        }

        logger.LogInformation(
            "starting executor: server {ServerAddress} (protocol {ServerProtocol}), cache {CachePath}, monitoring {MonitoringHost}:{MonitoringPort}, functions [{Functions}], labels [{Labels}]",
            executor.ServerAddress,
            executor.ServerProtocol,
            executor.ExpandedCachePath,
            executor.MonitoringHost,
            executor.MonitoringPort,
            string.Join(", ", executor.Functions),
            string.Join(", ", executor.Labels.Select(l => $"{l.Key}={l.Value}")));
        return app;
    }

    private static void ConfigureLogging(WebApplicationBuilder builder, int verbosity)
    {
        builder.Logging.ClearProviders();
        if (verbosity > 0 || builder.Environment.IsDevelopment())
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff ";
                o.IncludeScopes = true;
            });
        }
        else
        {
            // One JSON object per line; scopes (ExecutorId, FunctionExecutorId, AllocationId, ...) go under "Scopes"
            // as objects whose properties are the scope's named values.
            builder.Logging.AddJsonConsole(o =>
            {
                o.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff";
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Indented = false };
            });
        }

        builder.Logging.SetMinimumLevel(verbosity >= 2 ? LogLevel.Debug : LogLevel.Information);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("Orleans", LogLevel.Warning);
        builder.Logging.AddFilter("Polly", LogLevel.Warning);
        builder.Logging.AddFilter("Orleans.Runtime.Silo", LogLevel.Error);
        builder.Logging.AddFilter("Grpc", LogLevel.Warning);
        builder.Logging.AddFilter("System.Net.Http", LogLevel.Warning);
        builder.Logging.AddFilter<ConsoleLoggerProvider>("Microsoft.Hosting.Lifetime", LogLevel.Information);
    }
}

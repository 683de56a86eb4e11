using Executor.FunctionExecutors.Processes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Executor.Processes.Tests;

public sealed class OptionsTests
{
    [Fact]
    public void Binds_the_FunctionExecutor_section_and_registers_the_services()
    {
        using var provider = Build(new Dictionary<string, string?>
        {
            ["FunctionExecutor:Command"] = "/opt/fe/bin/function-executor",
            ["FunctionExecutor:Arguments:0"] = "-X",
            ["FunctionExecutor:CachePath"] = "/tmp/cache",
            ["FunctionExecutor:StartupTimeout"] = "00:00:02",
            ["FunctionExecutor:EnvironmentPassthrough:0"] = "PATH",
            ["FunctionExecutor:PortBindAttempts"] = "5",
        });

        provider.GetRequiredService<IStartupValidator>().Validate();
        var options = provider.GetRequiredService<IOptions<FunctionExecutorProcessOptions>>().Value;
        Assert.Equal("/opt/fe/bin/function-executor", options.Command);
        Assert.Equal(["-X"], options.Arguments);
        Assert.Equal(TimeSpan.FromSeconds(2), options.StartupTimeout);
        Assert.Equal(["PATH"], options.EffectiveEnvironmentPassthrough);
        Assert.Equal(5, options.PortBindAttempts);
        Assert.IsType<FunctionExecutorProcessLauncher>(provider.GetRequiredService<IFunctionExecutorProcessLauncher>());
        Assert.NotNull(provider.GetRequiredService<OrphanFunctionExecutorReaper>());
    }

    [Fact]
    public void Defaults_are_the_documented_ones()
    {
        var options = new FunctionExecutorProcessOptions();

        Assert.Equal("function-executor", options.Command);
        Assert.Empty(options.Arguments);
        Assert.Equal(TimeSpan.FromSeconds(5), options.StartupTimeout);
        Assert.Equal(10 * 1024 * 1024, options.DiagnosticsLogMaxBytes);
        Assert.Equal(3, options.PortBindAttempts);
        Assert.Contains("PATH", options.EffectiveEnvironmentPassthrough);
        Assert.Contains("LD_LIBRARY_PATH", options.EffectiveEnvironmentPassthrough);
        Assert.DoesNotContain("*", options.EffectiveEnvironmentPassthrough);
    }

    [Fact]
    public void Invalid_settings_fail_at_startup_with_messages_naming_the_keys()
    {
        using var provider = Build(new Dictionary<string, string?>
        {
            ["FunctionExecutor:Command"] = " ",
            ["FunctionExecutor:StartupTimeout"] = "00:00:00",
            ["FunctionExecutor:DiagnosticsLogMaxBytes"] = "10",
            ["FunctionExecutor:PortBindAttempts"] = "0",
            ["FunctionExecutor:EnvironmentPassthrough:0"] = "A=B",
        });

        var error = Assert.ThrowsAny<Exception>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        foreach (var key in new[] { "FunctionExecutor:Command", "FunctionExecutor:CachePath", "FunctionExecutor:StartupTimeout", "FunctionExecutor:DiagnosticsLogMaxBytes", "FunctionExecutor:PortBindAttempts", "FunctionExecutor:EnvironmentPassthrough" })
        {
            Assert.Contains(key, error.ToString(), StringComparison.Ordinal);
        }
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging(builder => builder.ClearProviders());
        services.AddFunctionExecutorProcesses(configuration);
        return services.BuildServiceProvider();
    }
}

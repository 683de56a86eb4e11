using Executor.HostResources.Tests.Fakes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Executor.HostResources.Tests;

public sealed class ServiceRegistrationTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings, Action<IServiceCollection>? before = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging();
        before?.Invoke(services);
        services.AddExecutorHostResources(configuration);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    [Fact]
    public void Binds_the_HostResources_section()
    {
        using var sp = Build(new()
        {
            ["HostResources:CpuOverhead"] = "2",
            ["HostResources:MemoryOverheadBytes"] = "1073741824",
            ["HostResources:NvidiaSmiPath"] = "/opt/nvidia/bin/nvidia-smi",
            ["HostResources:NvidiaSmiTimeout"] = "00:00:03",
            ["HostResources:DisableGpuDetection"] = "true",
        });

        var options = sp.GetRequiredService<IOptions<HostResourcesOptions>>().Value;

        Assert.Equal(2, options.CpuOverhead);
        Assert.Equal(1073741824L, options.MemoryOverheadBytes);
        Assert.Equal(0L, options.DiskOverheadBytes);
        Assert.Equal("/opt/nvidia/bin/nvidia-smi", options.NvidiaSmiPath);
        Assert.Equal(TimeSpan.FromSeconds(3), options.NvidiaSmiTimeout);
        Assert.True(options.DisableGpuDetection);
        Assert.IsType<HostResourcesProvider>(sp.GetRequiredService<IHostResourcesProvider>());
        Assert.IsType<NvidiaSmiRunner>(sp.GetRequiredService<INvidiaSmiRunner>());
    }

    [Fact]
    public void Defaults_are_upstreams()
    {
        using var sp = Build([]);

        var options = sp.GetRequiredService<IOptions<HostResourcesOptions>>().Value;

        Assert.Equal(0, options.CpuOverhead);
        Assert.Equal("nvidia-smi", options.NvidiaSmiPath);
        Assert.Equal(TimeSpan.FromSeconds(10), options.NvidiaSmiTimeout);
        Assert.False(options.DisableGpuDetection);
    }

    [Fact]
    public void Invalid_settings_are_rejected_with_every_reason()
    {
        using var sp = Build(new()
        {
            ["HostResources:CpuOverhead"] = "-1",
            ["HostResources:DiskOverheadBytes"] = "-5",
            ["HostResources:NvidiaSmiPath"] = " ",
            ["HostResources:NvidiaSmiTimeout"] = "00:00:00",
        });

        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<HostResourcesOptions>>().Value);

        Assert.Equal(4, ex.Failures.Count());
        Assert.Contains(ex.Failures, f => f.Contains("CpuOverhead", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("DiskOverheadBytes", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("NvidiaSmiPath", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("NvidiaSmiTimeout", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Fakes_registered_first_are_kept()
    {
        var fs = new FakeHostFileSystem();
        fs.Files["/proc/meminfo"] = "MemTotal: 2048 kB\n";
        fs.FileSystemSizes["/"] = 5 * (long)Mebibytes.Bytes;
        using var sp = Build(new() { ["HostResources:DiskPath"] = "/" }, s =>
        {
            s.AddSingleton<IHostFileSystem>(fs);
            s.AddSingleton<INvidiaSmiRunner>(new FakeNvidiaSmiRunner(Fixtures.NvidiaSmi("nvidia-smi-query-h100.csv")));
        });

        var snapshot = await sp.GetRequiredService<IHostResourcesProvider>().GetAsync(CancellationToken.None);

        Assert.Equal(2 * Mebibytes.Bytes, snapshot.MemoryBytes);
        Assert.Equal(5 * Mebibytes.Bytes, snapshot.DiskBytes);
        Assert.Equal(new GpuSummary(1, GpuModel.H100_80GB), snapshot.Gpu);
    }
}

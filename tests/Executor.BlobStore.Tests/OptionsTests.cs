using Executor.BlobStore.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Executor.BlobStore.Tests;

public sealed class OptionsTests
{
    [Fact]
    public void Defaults_are_upstream_and_valid()
    {
        var options = new BlobStoreOptions();
        Assert.Empty(options.AllowedRoots);
        Assert.Equal(TimeSpan.FromDays(7), options.PresignExpiry);
        Assert.Equal(3, options.S3.MaxAttempts);
        Assert.True(new BlobStoreOptionsValidator().Validate(null, options).Succeeded);
    }

    [Fact]
    public void Configuration_binds_the_BlobStore_section()
    {
        using var provider = Build(new Dictionary<string, string?>
        {
            ["BlobStore:AllowedRoots:0"] = "/var/lib/indexify",
            ["BlobStore:AllowedRoots:1"] = "/tmp/blobs",
            ["BlobStore:PresignExpiry"] = "01:00:00",
            ["BlobStore:ReadChunkSize"] = "1024",
            ["BlobStore:S3:ServiceUrl"] = "http://127.0.0.1:9000",
            ["BlobStore:S3:ForcePathStyle"] = "true",
            ["BlobStore:S3:Region"] = "eu-west-1",
        });

        var options = provider.GetRequiredService<IOptions<BlobStoreOptions>>().Value;
        Assert.Equal(["/var/lib/indexify", "/tmp/blobs"], options.AllowedRoots);
        Assert.Equal(TimeSpan.FromHours(1), options.PresignExpiry);
        Assert.Equal(1024, options.ReadChunkSize);
        Assert.Equal("http://127.0.0.1:9000", options.S3.ServiceUrl);
        Assert.True(options.S3.ForcePathStyle);
        Assert.Equal("eu-west-1", options.S3.Region);
        Assert.IsType<BlobStoreRouter>(provider.GetRequiredService<IBlobStore>());
    }

    [Fact]
    public void Invalid_values_fail_with_every_config_key_named()
    {
        using var provider = Build(new Dictionary<string, string?>
        {
            ["BlobStore:AllowedRoots:0"] = "relative/dir",
            ["BlobStore:PresignExpiry"] = "8.00:00:00",
            ["BlobStore:ReadChunkSize"] = "0",
            ["BlobStore:WritePartSizeFirst100"] = "-1",
            ["BlobStore:WritePartSizeAfter"] = "0",
            ["BlobStore:S3:ServiceUrl"] = "ftp://x",
            ["BlobStore:S3:MaxAttempts"] = "0",
        });

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<BlobStoreOptions>>().Value);
        foreach (var key in new[]
                 {
                     "BlobStore:AllowedRoots:0", "BlobStore:PresignExpiry", "BlobStore:ReadChunkSize", "BlobStore:WritePartSizeFirst100",
                     "BlobStore:WritePartSizeAfter", "BlobStore:S3:ServiceUrl", "BlobStore:S3:MaxAttempts",
                 })
        {
            Assert.Contains(key, ex.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("00:00:00.5")]
    [InlineData("7.00:00:01")]
    public void Presign_expiry_outside_one_second_to_seven_days_is_invalid(string expiry)
    {
        var options = new BlobStoreOptions { PresignExpiry = TimeSpan.Parse(expiry, System.Globalization.CultureInfo.InvariantCulture) };
        Assert.True(new BlobStoreOptionsValidator().Validate(null, options).Failed);
    }

    [Fact]
    public async Task Host_start_fails_on_invalid_options()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["BlobStore:ReadChunkSize"] = "0" });
        builder.Services.AddExecutorBlobStore(builder.Configuration);
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("BlobStore:ReadChunkSize", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unconfined_store_warns_once_at_startup_and_works()
    {
        var logs = new ListLoggerProvider();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddProvider(logs);
        builder.Services.AddExecutorBlobStore(builder.Configuration);
        using var host = builder.Build();
        using var temp = new Executor.Testing.TempDirectory("blobstore-unconfined");

        await host.StartAsync();
        Assert.Single(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("unconfined", StringComparison.Ordinal));

        var store = host.Services.GetRequiredService<IBlobStore>();
        var uri = "file://" + temp.Combine("anywhere", "blob");
        await store.PutAsync(uri, new byte[] { 1 }, CancellationToken.None);
        Assert.Equal(1, await store.GetSizeAsync(uri, CancellationToken.None));
        await host.StopAsync();

        Assert.Single(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("unconfined", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Confined_store_does_not_warn()
    {
        var logs = new ListLoggerProvider();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["BlobStore:AllowedRoots:0"] = "/nonexistent/root" });
        builder.Logging.AddProvider(logs);
        builder.Services.AddExecutorBlobStore(builder.Configuration);
        using var host = builder.Build();

        await host.StartAsync();
        await host.StopAsync();

        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Warning);
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddLogging().AddExecutorBlobStore(configuration).BuildServiceProvider();
    }
}

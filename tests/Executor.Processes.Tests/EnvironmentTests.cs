using Xunit.Abstractions;

namespace Executor.Processes.Tests;

public sealed class EnvironmentTests(ITestOutputHelper output) : IAsyncLifetime
{
    // Unique per run so parallel tests and earlier runs cannot interfere.
    private static readonly string SecretName = "FE_PROCESS_TEST_SECRET_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();

    private readonly ProcessTestBed _bed = new(output);

    public Task InitializeAsync()
    {
        Environment.SetEnvironmentVariable(SecretName, "executor-only");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    [Fact]
    public async Task Child_gets_only_passthrough_variables_plus_the_extra_environment()
    {
        var extra = new Dictionary<string, string> { ["CUDA_VISIBLE_DEVICES"] = "1", ["NVIDIA_VISIBLE_DEVICES"] = "GPU-1" };

        await _bed.LaunchAsync(_bed.Request("fe-env", "listen", extra));
        var env = _bed.ReadRecord("fe-env").Environment;

        Assert.False(env.ContainsKey(SecretName));
        Assert.Equal(Environment.GetEnvironmentVariable("PATH"), env["PATH"]);
        Assert.Equal(Environment.GetEnvironmentVariable("HOME"), env["HOME"]);
        Assert.Equal("1", env["CUDA_VISIBLE_DEVICES"]);
        Assert.Equal("GPU-1", env["NVIDIA_VISIBLE_DEVICES"]);
    }

    [Fact]
    public async Task Star_passes_the_whole_environment()
    {
        var options = _bed.Options(o => o.EnvironmentPassthrough = ["*"]);

        await _bed.LaunchAsync(_bed.Request("fe-star", "listen"), options);

        Assert.Equal("executor-only", _bed.ReadRecord("fe-star").Environment[SecretName]);
    }

    [Fact]
    public async Task A_configured_list_replaces_the_defaults()
    {
        var options = _bed.Options(o => o.EnvironmentPassthrough = ["PATH", SecretName]);

        await _bed.LaunchAsync(_bed.Request("fe-list", "listen"), options);
        var env = _bed.ReadRecord("fe-list").Environment;

        Assert.Equal("executor-only", env[SecretName]);
        Assert.False(env.ContainsKey("HOME"));
    }
}

using System.Diagnostics;
using Executor.HostResources.Tests.Fakes;
using Executor.Testing;
using Microsoft.Extensions.Options;

namespace Executor.HostResources.Tests;

/// <summary>Runs the real runner against small shell scripts standing in for nvidia-smi.</summary>
public sealed class NvidiaSmiRunnerTests : IDisposable
{
    private readonly TempDirectory _dir = new("nvidia-smi-test");
    private readonly CapturingLogger<NvidiaSmiRunner> _log = new();

    public void Dispose() => _dir.Dispose();

    private string Script(string body)
    {
        var path = _dir.Combine("nvidia-smi");
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    }

    private NvidiaSmiRunner Runner(string path, TimeSpan? timeout = null) =>
        new(Options.Create(new HostResourcesOptions { NvidiaSmiPath = path, NvidiaSmiTimeout = timeout ?? TimeSpan.FromSeconds(10) }), _log);

    [Fact]
    public async Task Passes_the_upstream_query_and_returns_stdout()
    {
        var fixture = _dir.Combine("out.csv");
        File.WriteAllText(fixture, Fixtures.NvidiaSmi("nvidia-smi-query-h100.csv"));
        var runner = Runner(Script($"[ \"$1\" = \"--query-gpu=index,name,uuid\" ] && [ \"$2\" = \"--format=csv,noheader\" ] || exit 7\ncat '{fixture}'"));

        var output = await runner.QueryGpusAsync(CancellationToken.None);

        Assert.Equal(Fixtures.NvidiaSmi("nvidia-smi-query-h100.csv"), output);
    }

    [Fact]
    public async Task Missing_binary_means_no_gpus()
    {
        var output = await Runner(_dir.Combine("does-not-exist", "nvidia-smi")).QueryGpusAsync(CancellationToken.None);

        Assert.Null(output);
        Assert.Contains(_log.Entries, e => e.EventId == 1103);
    }

    [Fact]
    public async Task Non_zero_exit_means_no_gpus_and_logs_stderr()
    {
        var output = await Runner(Script("echo 'NVIDIA-SMI has failed' >&2\necho '0, NVIDIA A10, GPU-1'\nexit 9")).QueryGpusAsync(CancellationToken.None);

        Assert.Null(output);
        var warning = Assert.Single(_log.Warnings, e => e.EventId == 1104);
        Assert.Contains("NVIDIA-SMI has failed", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hanging_nvidia_smi_is_killed_after_the_timeout()
    {
        var watch = Stopwatch.StartNew();

        var output = await Runner(Script("exec sleep 30"), TimeSpan.FromMilliseconds(300)).QueryGpusAsync(CancellationToken.None);

        Assert.Null(output);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        Assert.Contains(_log.Warnings, e => e.EventId == 1105);
    }

    [Fact]
    public async Task Caller_cancellation_propagates()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Runner(Script("exec sleep 30")).QueryGpusAsync(cts.Token));
    }
}

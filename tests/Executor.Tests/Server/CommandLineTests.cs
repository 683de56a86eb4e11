using System.Diagnostics;
using Executor.Silo.Hosting;
using Executor.Testing;
using Xunit;

namespace Executor.Tests.Server;

public sealed class CommandLineTests
{
    [Fact]
    public void UpstreamFlagsMapToConfigurationKeys()
    {
        var cli = ExecutorCommandLine.Parse(
        [
            "executor", "--grpc-server-addr", "server:9000", "-f", "a:b:c", "--function=d:e:f:7", "-l", "k=v", "--label", "z=1",
            "--executor-cache-path", "/tmp/c", "--monitoring-server-host", "0.0.0.0", "--monitoring-server-port", "7100",
            "--catalog-entry-name", "cat", "-vv", "--config-path", "/etc/tls.yaml", "--allowed-blob-root", "/data", "--mystery-flag",
            "--server-protocol", "v2",
        ]);

        Assert.Empty(cli.Errors);
        Assert.Equal("server:9000", cli.Settings["Executor:ServerAddress"]);
        Assert.Equal("a:b:c", cli.Settings["Executor:Functions:0"]);
        Assert.Equal("d:e:f:7", cli.Settings["Executor:Functions:1"]);
        Assert.Equal("v", cli.Settings["Executor:Labels:k"]);
        Assert.Equal("1", cli.Settings["Executor:Labels:z"]);
        Assert.Equal("/tmp/c", cli.Settings["Executor:CachePath"]);
        Assert.Equal("0.0.0.0", cli.Settings["Executor:MonitoringHost"]);
        Assert.Equal("7100", cli.Settings["Executor:MonitoringPort"]);
        Assert.Equal("cat", cli.Settings["Executor:CatalogEntryName"]);
        Assert.Equal("2", cli.Settings["Executor:Verbosity"]);
        Assert.Equal("/etc/tls.yaml", cli.Settings["Executor:ConfigPath"]);
        Assert.Equal("/data", cli.Settings["BlobStore:AllowedRoots:0"]);
        Assert.Equal("v2", cli.Settings["Executor:ServerProtocol"]);
        Assert.Equal(["--mystery-flag"], cli.UnknownArguments);
    }

    [Theory]
    [InlineData("-f", "only:two")]
    [InlineData("-f", "a:b:c:d:e")]
    [InlineData("-f", "a::c")]
    [InlineData("-l", "novalue")]
    [InlineData("-l", "a=b=c")]
    [InlineData("--monitoring-server-port", "http")]
    [InlineData("--server-protocol", "v3")]
    public void BadSyntaxIsAnError(string flag, string value)
    {
        var cli = ExecutorCommandLine.Parse([flag, value]);
        Assert.NotEmpty(cli.Errors);
    }

    [Fact]
    public async Task BadFlagsAndBadSettingsStopTheProcessWithCodeTwoAndAReadableMessage()
    {
        var (code, _, stderr) = await RunAsync(["-f", "not-a-function"]);
        Assert.Equal(2, code);
        Assert.Contains("--function 'not-a-function'", stderr, StringComparison.Ordinal);

        using var temp = new TempDirectory();
        (code, _, stderr) = await RunAsync(["--grpc-server-addr", "http://nope", "--executor-cache-path", temp.Path, "--config-path", temp.Combine("missing.yaml")]);
        Assert.Equal(2, code);
        Assert.Contains("Executor:ServerAddress (--grpc-server-addr)", stderr, StringComparison.Ordinal);
        Assert.Contains("Executor:ConfigPath (--config-path)", stderr, StringComparison.Ordinal);

        (code, var stdout, _) = await RunAsync(["--help"]);
        Assert.Equal(0, code);
        Assert.Contains("--grpc-server-addr", stdout, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string[] args)
    {
        var start = new ProcessStartInfo(RepositoryPaths.ExecutorExecutable) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}

using System.Diagnostics;
using Executor.TestHost;
using Executor.Testing;
using FakeIndexifyServer;
using Xunit;

namespace Executor.Tests.Publishing;

/// <summary>The operator's deployment: one self-contained single-file executable, copied to a host and started.</summary>
public sealed class SingleFilePublishTests
{
    [Fact]
    public async Task PublishedSingleFileStartsRegistersAndServesStartup()
    {
        using var temp = new TempDirectory("executor-publish");
        var output = temp.Combine("out");

        // Published from a copy of the sources, so it never races the solution's own build outputs.
        var sources = temp.Combine("src");
        CopySources(RepositoryPaths.RepositoryRoot, sources);
        var publish = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = sources };
        foreach (var arg in new[]
                 {
                     "publish", Path.Combine("Executor.Silo", "Executor.Silo.csproj"), "-c", "Release", "-r", "linux-x64", "--self-contained",
                     "-p:PublishSingleFile=true", "-o", output, "--nologo", "-v", "q",

                     // ReadyToRun only precompiles the same IL (it changes startup time, not behaviour) and costs CI
                     // half a minute of both cores; the benchmark measures the ReadyToRun publish operators get.
                     "-p:PublishReadyToRun=false",
                 })
        {
            publish.ArgumentList.Add(arg);
        }

        using (var process = Process.Start(publish)!)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
            await process.WaitForExitAsync(timeout.Token);
            Assert.True(process.ExitCode == 0, $"dotnet publish failed:\n{await stdout}\n{await stderr}");
        }

        var executable = Path.Combine(output, "indexify-executor");
        Assert.True(File.Exists(executable));
        var managedFiles = Directory.GetFiles(output).Where(f => f.EndsWith(".dll", StringComparison.Ordinal)).ToList();
        Assert.Empty(managedFiles);

        // Copied elsewhere, like an operator would, and run without the SDK's help.
        var installed = temp.Combine("bin-host", "indexify-executor");
        Directory.CreateDirectory(Path.GetDirectoryName(installed)!);
        File.Copy(executable, installed); // keeps the execute permission on Unix

        await using var server = await FakeServer.StartAsync();
        await using var executor = await ExecutorProcess.StartAsync(server.Address, temp.Combine("cache"), executable: installed);
        var registered = await server.WaitForRegisteredExecutorAsync(timeout: TimeSpan.FromSeconds(60));
        Assert.True(registered.IsRegistered);
        Assert.Equal(200, (await executor.GetAsync("/monitoring/startup")).Status);
    }

    private static void CopySources(string root, string destination)
    {
        foreach (var file in new[] { "Directory.Build.props", "Directory.Packages.props", "global.json" })
        {
            Directory.CreateDirectory(destination);
            File.Copy(Path.Combine(root, file), Path.Combine(destination, file));
        }

        foreach (var project in new[] { "Executor.Silo", "Executor.Grains", "Executor.Interfaces", "protos" })
        {
            var from = Path.Combine(root, project);
            foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(from, file);
                var top = relative.Split(Path.DirectorySeparatorChar)[0];
                if (top is "bin" or "obj")
                {
                    continue;
                }

                var target = Path.Combine(destination, project, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Executor.Testing;

namespace Executor.Bench;

/// <summary>
/// The executor as operators deploy it (README "Deploying"): `dotnet publish -c Release -r linux-x64 --self-contained
/// -p:PublishSingleFile=true`, which is ReadyToRun by the csproj's default for RID-specific publishes. Published from a
/// copy of the sources (a RID-specific restore in the tree would rewrite obj/project.assets.json under other builds),
/// into bench/out/executor-publish, and reused while the sources are unchanged.
/// </summary>
public static class Publisher
{
    private static readonly string[] RootFiles = ["Directory.Build.props", "Directory.Packages.props", "global.json"];
    private static readonly string[] Projects = ["Executor.Silo", "Executor.Grains", "Executor.Interfaces", "protos"];

    public static string OutputDirectory => Path.Combine(RepositoryPaths.RepositoryRoot, "bench", "out", "executor-publish");

    public static string Executable => Path.Combine(OutputDirectory, "indexify-executor");

    /// <summary>Publishes unless the existing publish was made from the same sources; returns the executable.</summary>
    public static async Task<string> EnsurePublishedAsync(Action<string> log, CancellationToken cancellationToken)
    {
        var root = RepositoryPaths.RepositoryRoot;
        var files = SourceFiles(root).ToList();
        var hash = Hash(root, files);
        var stamp = Path.Combine(OutputDirectory, ".sources-sha256");
        if (File.Exists(Executable) && File.Exists(stamp) && (await File.ReadAllTextAsync(stamp, cancellationToken)).Trim() == hash)
        {
            log($"published executor is up to date: {Executable}");
            return Executable;
        }

        var work = Path.Combine(root, "bench", "out", "publish-src");
        if (Directory.Exists(work))
        {
            Directory.Delete(work, recursive: true);
        }

        foreach (var file in files)
        {
            var target = Path.Combine(work, Path.GetRelativePath(root, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        if (Directory.Exists(OutputDirectory))
        {
            Directory.Delete(OutputDirectory, recursive: true);
        }

        log("publishing the executor (single-file, self-contained, ReadyToRun); this takes minutes on a busy 2-core box");
        var started = Stopwatch.GetTimestamp();
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = work, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "publish", Path.Combine("Executor.Silo", "Executor.Silo.csproj"), "-c", "Release", "-r", "linux-x64", "--self-contained", "-p:PublishSingleFile=true", "-o", OutputDirectory, "--nologo", "-v", "q" })
        {
            psi.ArgumentList.Add(arg);
        }

        using var process = Process.Start(psi) ?? throw new BenchFailure("dotnet publish did not start");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(20));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0 || !File.Exists(Executable))
        {
            throw new BenchFailure($"dotnet publish failed ({process.ExitCode}):\n{await stdout}\n{await stderr}");
        }

        await File.WriteAllTextAsync(stamp, hash, cancellationToken);
        Directory.Delete(work, recursive: true);
        log($"published in {Stopwatch.GetElapsedTime(started).TotalSeconds:0} s: {Executable} ({new FileInfo(Executable).Length / 1048576.0:0} MiB)");
        return Executable;
    }

    private static IEnumerable<string> SourceFiles(string root)
    {
        foreach (var file in RootFiles)
        {
            yield return Path.Combine(root, file);
        }

        foreach (var project in Projects)
        {
            var dir = Path.Combine(root, project);
            foreach (var file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var top = Path.GetRelativePath(dir, file).Split(Path.DirectorySeparatorChar)[0];
                if (top is not ("bin" or "obj"))
                {
                    yield return file;
                }
            }
        }
    }

    private static string Hash(string root, IEnumerable<string> files)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in files)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(Path.GetRelativePath(root, file) + "\n"));
            sha.AppendData(File.ReadAllBytes(file));
        }

        sha.AppendData(Encoding.UTF8.GetBytes(Environment.Version.ToString() + CultureInfo.InvariantCulture.Name));
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}

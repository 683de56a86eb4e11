using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Executor.Testing;

namespace Executor.TestHost;

/// <summary>
/// One s3rver (S3-compatible test server) child process, started through our launcher
/// <c>tests/s3/start-s3rver.js</c> (adds AbortMultipartUpload), listening on 127.0.0.1 and an OS-chosen port.
/// </summary>
public sealed partial class S3rverProcess : IAsyncDisposable
{
    /// <summary>s3rver's built-in key pair.</summary>
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly TempDirectory _data;

    private S3rverProcess(Process process, TempDirectory data, int port)
    {
        _process = process;
        _data = data;
        Port = port;
    }

    public int Port { get; }

    public string ServiceUrl => $"http://127.0.0.1:{Port}";

    /// <summary>Where s3rver keeps buckets, objects and in-progress upload parts.</summary>
    public string DataDirectory => _data.Path;

    private static readonly SemaphoreSlim InstallGate = new(1, 1);

    /// <summary>
    /// Installs s3rver from the npm registry (pinned by tests/s3/package-lock.json) when it is missing, so the
    /// test command alone sets up what it needs; CI runs the same `npm ci` first.
    /// </summary>
    private static async Task EnsureInstalledAsync(string s3Dir)
    {
        await InstallGate.WaitAsync();
        try
        {
            if (File.Exists(Path.Combine(s3Dir, "node_modules", "s3rver", "package.json")))
            {
                return;
            }

            var npm = new ProcessStartInfo("npm") { WorkingDirectory = s3Dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in new[] { "ci", "--no-audit", "--no-fund", "--loglevel=error" })
            {
                npm.ArgumentList.Add(arg);
            }

            using var process = Process.Start(npm) ?? throw new InvalidOperationException("npm could not be started");
            var stderr = process.StandardError.ReadToEndAsync();
            _ = process.StandardOutput.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            await process.WaitForExitAsync(timeout.Token);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"`npm ci` in {s3Dir} failed ({process.ExitCode}): {await stderr}. Install node and npm (Debian: apt-get install nodejs npm).");
            }
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"s3rver is not installed in {s3Dir}/node_modules and npm is not available ({ex.Message}). Install node and npm (Debian: apt-get install nodejs npm), then run `npm ci --prefix tests/s3`.", ex);
        }
        finally
        {
            InstallGate.Release();
        }
    }

    /// <summary>Starts s3rver with the given buckets already created.</summary>
    public static async Task<S3rverProcess> StartAsync(params string[] buckets)
    {
        var s3Dir = Path.Combine(RepositoryPaths.RepositoryRoot, "tests", "s3");
        await EnsureInstalledAsync(s3Dir);

        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = s3Dir,
            RedirectStandardInput = true, // the launcher exits when its stdin closes, i.e. when we die
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(s3Dir, "start-s3rver.js"));
        start.ArgumentList.Add("--port");
        start.ArgumentList.Add("0");
        var data = new TempDirectory("s3rver-data");
        start.ArgumentList.Add("--directory");
        start.ArgumentList.Add(data.Path);
        foreach (var bucket in buckets)
        {
            start.ArgumentList.Add("--bucket");
            start.ArgumentList.Add(bucket);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            data.Dispose();
            throw new InvalidOperationException("Cannot run `node` (Node.js 20 is needed for the S3 tests): " + ex.Message, ex);
        }

        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (stderr)
                {
                    stderr.AppendLine(e.Data);
                }
            }
        };
        process.BeginErrorReadLine();

        try
        {
            using var timeout = new CancellationTokenSource(StartTimeout);
            while (true)
            {
                var line = await process.StandardOutput.ReadLineAsync(timeout.Token).ConfigureAwait(false);
                if (line is null)
                {
                    await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
                    throw new InvalidOperationException($"s3rver launcher exited with code {process.ExitCode}: {Snapshot(stderr)}");
                }

                var match = Listening().Match(line);
                if (match.Success)
                {
                    var server = new S3rverProcess(process, data, int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));

                    // Keep draining stdout so the child never blocks on a full pipe.
                    _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
                    return server;
                }
            }
        }
        catch (Exception ex) when (ex is not InvalidOperationException)
        {
            Kill(process);
            process.Dispose();
            data.Dispose();
            throw new InvalidOperationException($"s3rver did not report its port within {StartTimeout.TotalSeconds} s: {Snapshot(stderr)}", ex);
        }
        catch
        {
            Kill(process);
            process.Dispose();
            data.Dispose();
            throw;
        }
    }

    /// <summary>Kills the server (used to fail requests mid-upload). Idempotent.</summary>
    public async Task StopAsync()
    {
        Kill(_process);
        await _process.WaitForExitAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        // Closing stdin asks the launcher to shut down; kill it if it does not within a few seconds.
        try
        {
            _process.StandardInput.Close();
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
        {
        }

        await StopAsync().ConfigureAwait(false);
        _process.Dispose();
        _data.Dispose();
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    private static string Snapshot(StringBuilder sb)
    {
        lock (sb)
        {
            return sb.ToString();
        }
    }

    [GeneratedRegex(@"S3rver listening on 127\.0\.0\.1:(\d+)")]
    private static partial Regex Listening();
}

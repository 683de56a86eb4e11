using System.ComponentModel;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Executor.HostResources;

/// <summary>
/// Runs the real nvidia-smi with a timeout. Upstream first probed a bare `nvidia-smi` and treated a failing query
/// as fatal; here one query does both jobs and any failure (missing binary, non-zero exit, hang) means no GPUs.
/// </summary>
public sealed class NvidiaSmiRunner(IOptions<HostResourcesOptions> options, ILogger<NvidiaSmiRunner> logger) : INvidiaSmiRunner
{
    // Enough for the stderr excerpt in a log line.
    private const int MaxStderrLogLength = 500;

    public async Task<string?> QueryGpusAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var startInfo = new ProcessStartInfo(settings.NvidiaSmiPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        startInfo.ArgumentList.Add("--query-gpu=index,name,uuid");
        startInfo.ArgumentList.Add("--format=csv,noheader");

        using var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            logger.NvidiaSmiNotAvailable(settings.NvidiaSmiPath, ex.Message);
            return null;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.NvidiaSmiTimeout);

        // Both pipes are drained concurrently so a chatty stderr cannot block the process.
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            var output = await stdout.ConfigureAwait(false);
            var errors = await stderr.ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                logger.NvidiaSmiFailed(process.ExitCode, Truncate(errors.Trim()));
                return null;
            }

            return output;
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            await Task.WhenAll(stdout, stderr).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default)
                .ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            logger.NvidiaSmiTimedOut(settings.NvidiaSmiTimeout);
            return null;
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
        catch (Win32Exception)
        {
            // Could not be killed (e.g. already reaped); nothing more to do.
        }
    }

    private static string Truncate(string text) => text.Length <= MaxStderrLogLength ? text : text[..MaxStderrLogLength] + "…";
}

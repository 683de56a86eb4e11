using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Executor.Testing;

namespace Executor.TestHost;

/// <summary>
/// The real executor (Executor.Silo's apphost) as a child process on free ports, talking to a fake Server and
/// spawning the test Function Executor. Output is kept for failure messages; the process is killed on dispose.
/// </summary>
public sealed class ExecutorProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private ExecutorProcess(Process process, int monitoringPort, string cachePath)
    {
        _process = process;
        MonitoringPort = monitoringPort;
        CachePath = cachePath;
        process.OutputDataReceived += (_, e) => Capture(e.Data);
        process.ErrorDataReceived += (_, e) => Capture(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int MonitoringPort { get; }

    public string CachePath { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public Uri MonitoringUri(string path) => new($"http://127.0.0.1:{MonitoringPort}{path}");

    public string Output => string.Join('\n', _output);

    /// <param name="readableLogs">true passes -v (readable console lines); false keeps the production JSON lines.</param>
    public static async Task<ExecutorProcess> StartAsync(string serverAddress, string cachePath, IEnumerable<string>? extraArguments = null, IReadOnlyDictionary<string, string>? environment = null, bool waitForStartup = true, string? executable = null, bool readableLogs = true)
    {
        // Free ports are only free until someone binds them (other test processes run on this host too): a start
        // that dies of "address already in use" is retried on new ports.
        const int attempts = 3;
        for (var attempt = 1; ; attempt++)
        {
            var executor = await StartOnceAsync(serverAddress, cachePath, extraArguments, environment, executable, readableLogs);
            if (!waitForStartup)
            {
                return executor;
            }

            try
            {
                await executor.WaitForStartupAsync();
                return executor;
            }
            catch (Exception) when (attempt < attempts && executor.HasExited && executor.Output.Contains("AddressInUseException", StringComparison.Ordinal))
            {
                await executor.DisposeAsync();
            }
            catch
            {
                await executor.DisposeAsync();
                throw;
            }
        }
    }

    private static Task<ExecutorProcess> StartOnceAsync(string serverAddress, string cachePath, IEnumerable<string>? extraArguments, IReadOnlyDictionary<string, string>? environment, string? executable, bool readableLogs)
    {
        var monitoringPort = FreePort.Get();
        var startInfo = new ProcessStartInfo(executable ?? RepositoryPaths.ExecutorExecutable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     "--grpc-server-addr", serverAddress,
                     "--executor-cache-path", cachePath,
                     "--monitoring-server-port", monitoringPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--silo-port", FreePort.Get().ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--gateway-port", FreePort.Get().ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--function-executor-command", RepositoryPaths.TestFunctionExecutor,
                 })
        {
            startInfo.ArgumentList.Add(arg);
        }

        if (readableLogs)
        {
            startInfo.ArgumentList.Add("-v");
        }

        foreach (var arg in extraArguments ?? [])
        {
            startInfo.ArgumentList.Add(arg);
        }

        // Short periods keep failure detection inside test time; the production defaults are tested by unit tests.
        startInfo.Environment["EXECUTOR__HealthCheckInterval"] = "00:00:01";
        startInfo.Environment["EXECUTOR__HealthCheckTimeout"] = "00:00:01";
        startInfo.Environment["EXECUTOR__FunctionExecutorStopGracePeriod"] = "00:00:01";
        startInfo.Environment["DOTNET_gcServer"] = "0";

        // The test FE is a .NET process: several cold starts at once on a loaded 2-core machine can take longer than the
        // production 5 s bound on opening the port (the real FE opens it in about 0.5 s). The launcher's tests cover the bound.
        startInfo.Environment["FUNCTIONEXECUTOR__STARTUPTIMEOUT"] = "00:00:30";

        // Tests place more FEs than a CI machine has cores; GPUs stay booked. Tests of the ledger turn this back on.
        startInfo.Environment["HOSTRESOURCES__EnforceFunctionExecutorResources"] = "false";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[key] = value;
        }

        var process = Process.Start(startInfo) ?? throw new InvalidOperationException("executor did not start");
        return Task.FromResult(new ExecutorProcess(process, monitoringPort, cachePath));
    }

    public async Task WaitForStartupAsync(TimeSpan? timeout = null)
    {
        // An exit ends the wait at once (an exception thrown inside the probe would only be retried until the deadline).
        await Eventually.TrueAsync(
            async () =>
            {
                if (_process.HasExited)
                {
                    return true;
                }

                try
                {
                    using var response = await _http.GetAsync(MonitoringUri("/monitoring/startup"));
                    return response.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            },
            timeout ?? TimeSpan.FromSeconds(60),
            "executor /monitoring/startup answers 200");
        if (_process.HasExited)
        {
            await _process.WaitForExitAsync(); // drains the redirected output, so Output is complete
            throw new InvalidOperationException($"executor exited with {_process.ExitCode}:\n{Output}");
        }
    }

    public async Task<(int Status, string ContentType, string Body)> GetAsync(string path, string? accept = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, MonitoringUri(path));
        if (accept is not null)
        {
            request.Headers.Accept.ParseAdd(accept);
        }

        using var response = await _http.SendAsync(request);
        return ((int)response.StatusCode, response.Content.Headers.ContentType?.ToString() ?? string.Empty, await response.Content.ReadAsStringAsync());
    }

    /// <summary>SIGTERM, then wait for exit.</summary>
    public async Task<int> StopAsync(TimeSpan? timeout = null)
    {
        if (!_process.HasExited)
        {
            _ = kill(_process.Id, 15);
        }

        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public void Kill()
    {
        if (!_process.HasExited)
        {
            _ = kill(_process.Id, 9);
            _process.WaitForExit(10_000);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                await StopAsync(TimeSpan.FromSeconds(30));
            }
        }
        catch (OperationCanceledException)
        {
            Kill();
        }
        finally
        {
            Kill();
            _process.Dispose();
            _http.Dispose();
        }
    }

    private void Capture(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > 4000 && _output.TryDequeue(out _))
        {
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}

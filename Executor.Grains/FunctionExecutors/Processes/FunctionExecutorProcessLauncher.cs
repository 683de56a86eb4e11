using System.Collections;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Executor.FunctionExecutors.Processes;

/// <summary>
/// Spawns FE processes: <c>setsid &lt;Command&gt; [Arguments] --executor-id=… --function-executor-id=… --address localhost:&lt;port&gt; [--dev]</c>
/// in a clean environment, then waits (bounded) until the port accepts connections; retries with another port when the
/// FE dies before listening (free-port discovery is racy).
/// </summary>
public sealed class FunctionExecutorProcessLauncher : IFunctionExecutorProcessLauncher
{
    private const string SetsidPath = "/usr/bin/setsid";
    private const int TailInMessage = 2000;

    private readonly FunctionExecutorProcessOptions _options;
    private readonly ILogger<FunctionExecutorProcessLauncher> _logger;
    private readonly TimeProvider _timeProvider;
    private readonly Lazy<OomKillCounter> _oom = new(OomKillCounter.ForCurrentProcess);
    private readonly Lazy<string?> _setsid;

    public FunctionExecutorProcessLauncher(
        IOptions<FunctionExecutorProcessOptions> options,
        ILogger<FunctionExecutorProcessLauncher> logger,
        TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _logger = logger;
        _timeProvider = timeProvider;
        _setsid = new Lazy<string?>(FindSetsid);
    }

    public async Task<IFunctionExecutorProcess> LaunchAsync(FunctionExecutorLaunchRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(request.ExecutorId);
        ArgumentException.ThrowIfNullOrEmpty(request.FunctionExecutorId);
        cancellationToken.ThrowIfCancellationRequested();

        var options = _options;
        var feId = request.FunctionExecutorId;
        var command = ExecutableResolver.Resolve(options.Command, Environment.GetEnvironmentVariable("PATH"))
            ?? throw new FunctionExecutorLaunchException(
                $"Function Executor command '{options.Command}' ({FunctionExecutorProcessOptions.SectionName}:Command) was not found or is not executable"
                + (options.Command.Contains('/', StringComparison.Ordinal) ? "." : " on the executor's PATH."));

        var paths = new FunctionExecutorProcessPaths(options.CachePath);
        var records = new PidRecordStore(paths.ProcessRecords);
        var workDirectory = paths.WorkDirectory(feId);
        var log = new DiagnosticsLog(paths.LogPath(feId), options.DiagnosticsLogMaxBytes);
        var launched = false;
        try
        {
            var attempts = options.PortBindAttempts;
            var triedPorts = new HashSet<int>();
            FunctionExecutorProcessExit? lastExit = null;
            for (var attempt = 1; attempt <= attempts; attempt++)
            {
                var port = FreeLoopbackPort.Pick(triedPorts);
                triedPorts.Add(port);
                var startInfo = BuildStartInfo(options, request, command, port, workDirectory);
                var commandLine = string.Join(' ', startInfo.ArgumentList.Prepend(startInfo.FileName));
                ProcessLog.Starting(_logger, feId, attempt, attempts, port, commandLine, log.Path);
                log.ResetTail();
                await log.AppendLineAsync($"[executor] attempt {attempt}/{attempts}: {commandLine}").ConfigureAwait(false);

                // Per attempt: stopping a failed attempt removes its working directory.
                Directory.CreateDirectory(workDirectory);
                var started = _timeProvider.GetTimestamp();
                FunctionExecutorProcess process;
                try
                {
                    process = FunctionExecutorProcess.Start(
                        feId, port, startInfo, log, _setsid.Value is not null, records, commandLine, workDirectory, _oom.Value, _logger, _timeProvider);
                }
                catch (Exception ex) when (ex is Win32Exception or IOException)
                {
                    throw new FunctionExecutorLaunchException(
                        $"Function Executor {feId} could not be started ({commandLine}): {ex.Message}", feId, null, log.Path, attempt, ex);
                }

                PortProbe.Outcome outcome;
                try
                {
                    outcome = await PortProbe.WaitAsync(port, process.ProcessId, _setsid.Value is not null, process.ExitObserved, options.StartupTimeout, _timeProvider, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    await process.DisposeAsync().ConfigureAwait(false);
                    throw;
                }

                if (outcome == PortProbe.Outcome.Listening)
                {
                    process.TakeLogOwnership();
                    launched = true;
                    ProcessLog.Listening(_logger, feId, process.ProcessId, port, (long)_timeProvider.GetElapsedTime(started).TotalMilliseconds);
                    return process;
                }

                // Either way it must not outlive the failed attempt (nor must its children).
                await process.DisposeAsync().ConfigureAwait(false);
                lastExit = await process.Exited.ConfigureAwait(false);

                if (outcome == PortProbe.Outcome.TimedOut)
                {
                    ProcessLog.StartupTimedOut(_logger, feId, process.ProcessId, port, (long)options.StartupTimeout.TotalMilliseconds, log.Path);
                    throw new FunctionExecutorLaunchException(
                        $"Function Executor {feId} (pid {process.ProcessId}) did not accept connections on port {port} within "
                        + $"{options.StartupTimeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s and was killed. "
                        + DiagnosticsText(log.Path, lastExit.DiagnosticsTail),
                        feId, lastExit, log.Path, attempt);
                }

                // Exited before listening, or the port belongs to someone else: most likely the port was taken meanwhile, or
                // the FE failed to start at all. A fresh port costs little, so retry either way.
                if (outcome == PortProbe.Outcome.PortTaken)
                {
                    ProcessLog.PortTaken(_logger, feId, process.ProcessId, port, attempt, attempts);
                }
                else
                {
                    ProcessLog.ExitedBeforeListening(_logger, feId, process.ProcessId, lastExit.Describe(), port, attempt, attempts, log.Path);
                }
            }

            throw new FunctionExecutorLaunchException(
                $"Function Executor {feId} exited with {lastExit!.Describe()} before listening, {attempts} attempt(s) with different ports. "
                + DiagnosticsText(log.Path, lastExit.DiagnosticsTail),
                feId, lastExit, log.Path, attempts);
        }
        finally
        {
            if (!launched)
            {
                await log.DisposeAsync().ConfigureAwait(false);
                FunctionExecutorProcessPaths.TryDeleteDirectory(workDirectory);
            }
        }
    }

    private static string DiagnosticsText(string logPath, string? tail)
    {
        if (string.IsNullOrWhiteSpace(tail))
        {
            return $"No output (log {logPath}).";
        }

        var trimmed = tail.Length > TailInMessage ? "…" + tail[^TailInMessage..] : tail;
        return $"Last output (full log {logPath}):\n{trimmed.TrimEnd()}";
    }

    private ProcessStartInfo BuildStartInfo(FunctionExecutorProcessOptions options, FunctionExecutorLaunchRequest request, string command, int port, string workDirectory)
    {
        var setsid = _setsid.Value;
        var startInfo = new ProcessStartInfo
        {
            // setsid exec's in place when the caller is not a group leader (our children never are), so the pid we get
            // is the FE's own, and it leads a new session and process group that can be killed as a whole.
            FileName = setsid ?? command,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workDirectory,
        };

        if (setsid is not null)
        {
            startInfo.ArgumentList.Add(command);
        }

        foreach (var argument in options.Arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.ArgumentList.Add("--executor-id=" + request.ExecutorId);
        startInfo.ArgumentList.Add("--function-executor-id=" + request.FunctionExecutorId);
        startInfo.ArgumentList.Add("--address");
        startInfo.ArgumentList.Add("localhost:" + port.ToString(CultureInfo.InvariantCulture));
        if (request.DevMode)
        {
            startInfo.ArgumentList.Add("--dev");
        }

        // Clean environment: the FE runs user code and must not see the executor's credentials by accident.
        var environment = startInfo.Environment;
        environment.Clear();
        var passthrough = options.EffectiveEnvironmentPassthrough;
        if (passthrough.Contains("*"))
        {
            foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
            {
                environment[(string)entry.Key] = (string?)entry.Value;
            }
        }
        else
        {
            foreach (var name in passthrough)
            {
                if (Environment.GetEnvironmentVariable(name) is { } value)
                {
                    environment[name] = value;
                }
            }
        }

        foreach (var (name, value) in request.ExtraEnvironment ?? new Dictionary<string, string>())
        {
            if (string.IsNullOrEmpty(name) || name.Contains('=', StringComparison.Ordinal))
            {
                throw new ArgumentException($"Invalid environment variable name '{name}' for Function Executor {request.FunctionExecutorId}.", nameof(request));
            }

            environment[name] = value;
        }

        return startInfo;
    }

    private string? FindSetsid()
    {
        var path = File.Exists(SetsidPath) ? SetsidPath : ExecutableResolver.Resolve("setsid", Environment.GetEnvironmentVariable("PATH"));
        if (path is null)
        {
            ProcessLog.SetsidMissing(_logger);
        }

        return path;
    }
}

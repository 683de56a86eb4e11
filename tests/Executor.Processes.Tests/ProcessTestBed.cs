using System.Diagnostics;
using System.Text.Json;
using Executor.FunctionExecutors.Processes;
using Executor.Testing;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace Executor.Processes.Tests;

/// <summary>
/// Per-test sandbox: a temp cache directory, the fake FE script, launcher/reaper factories, and cleanup that kills
/// everything the test started even when it fails.
/// </summary>
internal sealed class ProcessTestBed : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly ITestOutputHelper _output;
    private readonly TempDirectory _temp = new("fe-processes-test");
    private readonly List<IFunctionExecutorProcess> _processes = [];
    private readonly List<(int Pid, ulong StartTime)> _strays = [];
    private readonly List<Process> _plainProcesses = [];

    public ProcessTestBed(ITestOutputHelper output)
    {
        _output = output;
        CachePath = _temp.Combine("cache");
        Directory.CreateDirectory(CachePath);
        ScriptPath = FakeFunctionExecutorScript.WriteTo(_temp.Path);
    }

    public string CachePath { get; }

    public string ScriptPath { get; }

    public string RecordDirectory => _temp.Path;

    public FunctionExecutorProcessOptions Options(Action<FunctionExecutorProcessOptions>? configure = null)
    {
        var options = new FunctionExecutorProcessOptions
        {
            Command = ScriptPath,
            CachePath = CachePath,

            // Generous: python on a loaded 2-core machine can be slow to start; failure tests set their own.
            StartupTimeout = Patience,
        };
        configure?.Invoke(options);
        return options;
    }

    public FunctionExecutorProcessLauncher Launcher(FunctionExecutorProcessOptions? options = null)
        => new(Microsoft.Extensions.Options.Options.Create(options ?? Options()), new XunitLogger<FunctionExecutorProcessLauncher>(_output), TimeProvider.System);

    public OrphanFunctionExecutorReaper Reaper(FunctionExecutorProcessOptions? options = null)
        => new(Microsoft.Extensions.Options.Options.Create(options ?? Options()), new XunitLogger<OrphanFunctionExecutorReaper>(_output), TimeProvider.System);

    public string RecordPath(string feId) => Path.Combine(_temp.Path, feId + ".record.json");

    public string PidRecordPath(string feId) => Path.Combine(CachePath, "fe-processes", feId + ".json");

    public FunctionExecutorLaunchRequest Request(string feId, string mode, IReadOnlyDictionary<string, string>? extra = null, bool dev = false)
    {
        var environment = new Dictionary<string, string>(extra ?? new Dictionary<string, string>())
        {
            ["FAKE_FE_MODE"] = mode,
            ["FAKE_FE_RECORD"] = RecordPath(feId),
        };
        return new FunctionExecutorLaunchRequest("executor-1", feId, dev, environment);
    }

    /// <summary>Launches and registers the process for cleanup.</summary>
    public async Task<IFunctionExecutorProcess> LaunchAsync(FunctionExecutorLaunchRequest request, FunctionExecutorProcessOptions? options = null)
    {
        var process = await Launcher(options).LaunchAsync(request, CancellationToken.None).WaitAsync(Patience * 2);
        _processes.Add(process);
        return process;
    }

    /// <summary>What the fake FE recorded about itself (argv, env, pid, pgid, sid, cwd, port, grandchild).</summary>
    public FakeRecord ReadRecord(string feId)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(RecordPath(feId)));
        var root = document.RootElement;
        var record = new FakeRecord(
            root.GetProperty("argv").EnumerateArray().Select(e => e.GetString()!).ToList(),
            root.GetProperty("env").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!),
            root.GetProperty("pid").GetInt32(),
            root.GetProperty("pgid").GetInt32(),
            root.GetProperty("sid").GetInt32(),
            root.GetProperty("cwd").GetString()!,
            root.GetProperty("port").GetInt32(),
            root.TryGetProperty("grandchild", out var grandchild) ? grandchild.GetInt32() : null);
        if (record.Grandchild is { } pid)
        {
            TrackStray(pid);
        }

        return record;
    }

    public IReadOnlyList<int> ReadAttemptPorts(string feId)
        => File.Exists(RecordPath(feId) + ".attempts")
            ? File.ReadAllLines(RecordPath(feId) + ".attempts").Where(l => l.Length > 0).Select(int.Parse).ToList()
            : [];

    /// <summary>Remembers a process (by pid + start time) to SIGKILL at cleanup if a test left it alive.</summary>
    public void TrackStray(int pid)
    {
        if (ProcStat.TryRead(pid, out var stat))
        {
            _strays.Add((pid, stat.StartTime));
        }
    }

    /// <summary>Starts a plain long-running process outside the launcher; the bed kills and disposes it at cleanup.</summary>
    public Process StartSleep()
    {
        var process = Process.Start(new ProcessStartInfo("sleep", "1000") { UseShellExecute = false })!;
        _plainProcesses.Add(process);
        TrackStray(process.Id);
        return process;
    }

    public static ulong StartTimeOf(int pid) => ProcStat.TryRead(pid, out var stat) ? stat.StartTime : throw new InvalidOperationException($"pid {pid} is not running");

    /// <summary>True while the process (pid + start time) exists and is not a zombie.</summary>
    public static bool IsAlive(int pid, ulong startTime) => !ProcStat.IsGoneOrZombie(pid, startTime);

    /// <summary>True when the process no longer exists at all: it was reaped (no zombie left).</summary>
    public static bool IsReaped(int pid, ulong startTime) => !ProcStat.TryRead(pid, out var stat) || stat.StartTime != startTime;

    public static Task WaitUntilAsync(Func<bool> condition, string because) => Eventually.TrueAsync(condition, Patience, because);

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        foreach (var (pid, startTime) in _strays)
        {
            if (IsAlive(pid, startTime))
            {
                Libc.SignalProcess(pid, Libc.SIGKILL);
            }
        }

        foreach (var process in _plainProcesses)
        {
            await process.WaitForExitAsync().WaitAsync(Patience);
            process.Dispose();
        }

        _temp.Dispose();
    }
}

internal sealed record FakeRecord(
    IReadOnlyList<string> Argv,
    IReadOnlyDictionary<string, string> Environment,
    int Pid,
    int ProcessGroupId,
    int SessionId,
    string WorkingDirectory,
    int Port,
    int? Grandchild);

using System.Text;
using Executor.Configuration;
using Executor.FunctionExecutors.Processes;
using Executor.Hosting;
using Executor.HostResources;
using Executor.Model;
using Executor.Server;
using Executor.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;
using Xunit.Abstractions;

namespace Executor.Grains.Tests.Infrastructure;

/// <summary>
/// One test's executor: the real grains (<c>AddExecutorGrains</c>) in an in-process Orleans cluster of one silo, with
/// the Server replaced by a <see cref="ScriptedServer"/>, FE processes by <see cref="InProcessLauncher"/>, the host by
/// <see cref="FixedHostResources"/>, and blobs in a temp file:// root. Grain timers, allocation deadlines and every
/// other clock the executor reads run on <see cref="Time"/>, which only moves when the test advances it; Orleans' own
/// background timers stay on real time.
/// </summary>
public sealed class ExecutorCluster : IAsyncDisposable
{
    public const string ExecutorId = "grain-test-executor";
    public const string Namespace = "ns";

    private readonly TempDirectory _temp;
    private readonly InProcessTestCluster _cluster;
    private int _clock;
    private int _ids;

    private ExecutorCluster(TempDirectory temp, InProcessTestCluster cluster, ScriptedServer server, InProcessLauncher launcher, FakeTimeProvider time, TestBlobs blobs)
    {
        _temp = temp;
        _cluster = cluster;
        Server = server;
        Launcher = launcher;
        Time = time;
        Blobs = blobs;
    }

    public ScriptedServer Server { get; }

    public InProcessLauncher Launcher { get; }

    public FakeTimeProvider Time { get; }

    public TestBlobs Blobs { get; }

    public IExecutorGrain Executor => Grains.GetGrain<IExecutorGrain>(ExecutorGrainKeys.Executor);

    private IGrainFactory Grains => _cluster.GetSiloServiceProvider().GetRequiredService<IGrainFactory>();

    public string CachePath => _temp.Combine("cache");

    public static async Task<ExecutorCluster> StartAsync(ITestOutputHelper output, Action<ExecutorClusterOptions>? configure = null)
    {
        var options = new ExecutorClusterOptions();
        configure?.Invoke(options);
        var temp = new TempDirectory("executor-grains");
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["Executor:CachePath"] = temp.Combine("cache"),
            ["Executor:ServerAddress"] = "127.0.0.1:1",
            ["Executor:MinFreeCacheBytes"] = "0",
            // Reports the Server holds must not time out while a test looks at them.
            ["Executor:ReportRpcTimeout"] = "00:00:20",
            ["HostResources:DisableGpuDetection"] = "true",
        };
        foreach (var (key, value) in options.Settings)
        {
            settings[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var time = new FakeTimeProvider();
        var server = new ScriptedServer();
        var launcher = new InProcessLauncher(temp.Combine("cache")) { Protocol = options.FunctionExecutorProtocol };
        var identity = new ExecutorIdentity(ExecutorId, "grain-test-host", new Dictionary<string, string>(StringComparer.Ordinal) { ["os"] = "linux" }, [], null);

        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;
        // Tests call grains through the silo's own grain factory: no client to connect.
        builder.Options.InitializeClientOnDeploy = false;
        builder.ConfigureSiloHost((_, host) => host.Logging.ClearProviders().AddProvider(new TestOutputLoggerProvider(output))
            .SetMinimumLevel(LogLevel.Information).AddFilter("Orleans", LogLevel.Warning).AddFilter("Microsoft", LogLevel.Warning));
        builder.ConfigureSilo((_, silo) =>
        {
            var services = silo.Services;
            services.AddSingleton<TimeProvider>(time);
            services.UseTimeProviderForBackgroundAreas(TimeProvider.System);
            services.AddSingleton<IHostResourcesProvider>(new FixedHostResources(options.Host));
            services.AddExecutorGrains(configuration);
            services.RemoveAll<IServerConnection>();
            services.AddSingleton<IServerConnection>(server);
            services.RemoveAll<IFunctionExecutorProcessLauncher>();
            services.AddSingleton<IFunctionExecutorProcessLauncher>(launcher);
            services.RemoveAll<ExecutorIdentity>();
            services.AddSingleton(identity);
        });

        var cluster = builder.Build();
        var world = new ExecutorCluster(temp, cluster, server, launcher, time, new TestBlobs(temp.Combine("blobs")));
        try
        {
            await cluster.DeployAsync();
            await Eventually.TrueAsync(() => server.Accepted.Count > 0, because: "the executor registers (its first report is accepted)");
            return world;
        }
        catch
        {
            await world.DisposeAsync();
            throw;
        }
    }

    public IFunctionExecutorGrain FunctionExecutor(string id) => Grains.GetGrain<IFunctionExecutorGrain>(id);

    /// <summary>Reconciles one snapshot the way the desired-state pump does; returns once the executor grain applied it.</summary>
    public Task ApplyAsync(DesiredState state) => Executor.ApplyDesiredStateAsync(state);

    /// <summary>A complete snapshot with the next clock value.</summary>
    public DesiredState Snapshot(
        IEnumerable<FunctionExecutorSpec>? functionExecutors = null,
        IEnumerable<AllocationSpec>? allocations = null,
        IEnumerable<AllocationSpec>? cancelled = null,
        IEnumerable<FunctionCallResultSpec>? functionCallResults = null) => new()
        {
            FunctionExecutors = [.. functionExecutors ?? []],
            Allocations = [.. allocations ?? []],
            CancelledAllocations = [.. cancelled ?? []],
            FunctionCallResults = [.. functionCallResults ?? []],
            Clock = (ulong)Interlocked.Increment(ref _clock),
        };

    /// <summary>
    /// Moves the executor's clock once the executor grain has started every turn already queued for it (a report that
    /// just failed has set its next due time), then waits until it has started every turn the clock released (its timer
    /// ticks are queued ahead of this call).
    /// </summary>
    public async Task AdvanceAsync(TimeSpan by)
    {
        await Executor.GetStatusAsync();
        Time.Advance(by);
        await Executor.GetStatusAsync();
    }

    /// <summary>
    /// An FE whose behaviour is the test FE function <paramref name="function"/>, with its code zip written. The id
    /// carries the protocol marker of <paramref name="protocol"/> when one is given.
    /// </summary>
    public FunctionExecutorSpec NewFunctionExecutor(
        string function,
        string? protocol = null,
        uint maxConcurrency = 1,
        uint allocationTimeoutMs = 300_000,
        uint initializationTimeoutMs = 300_000,
        string application = "app",
        string version = "1",
        GpuRequest? gpu = null,
        ulong memoryBytes = FixedHostResources.GiB,
        uint cpuMsPerSec = 1000)
    {
        var id = $"fe-{Interlocked.Increment(ref _ids)}";
        var code = Blobs.Put($"{Namespace}/{application}/code/{version}.zip", Encoding.UTF8.GetBytes("PK-test-code-" + version), PayloadEncoding.BinaryZip, "application/zip");
        return new FunctionExecutorSpec
        {
            Id = protocol is null ? id : TestFunctionExecutor.TestFunctions.WithProtocolMarker(id, protocol),
            Function = new FunctionRef(Namespace, application, function, version),
            InitializationTimeoutMs = initializationTimeoutMs,
            Application = code,
            Resources = new FunctionExecutorResources(cpuMsPerSec, memoryBytes, FixedHostResources.GiB, gpu),
            MaxConcurrency = maxConcurrency,
            AllocationTimeoutMs = allocationTimeoutMs,
        };
    }

    /// <summary>An allocation on <paramref name="fe"/> with one UTF-8 JSON argument written under its request's prefix.</summary>
    public AllocationSpec NewAllocation(FunctionExecutorSpec fe, string input = "\"hello\"", string? requestId = null)
    {
        var n = Interlocked.Increment(ref _ids);
        var request = requestId ?? $"req-{n}";
        var application = fe.Function.Application;
        var arg = Blobs.PutJson($"{Namespace}/{application}/{request}/input-{n}", input);
        var prefix = Blobs.RequestPrefix(Namespace, application, request);
        return new AllocationSpec
        {
            AllocationId = $"alloc-{n}",
            FunctionExecutorId = fe.Id,
            Function = fe.Function with { Version = null },
            FunctionCallId = $"call-{n}",
            RequestId = request,
            Args = [arg],
            RequestDataPayloadUriPrefix = prefix,
            RequestErrorPayloadUriPrefix = prefix,
        };
    }

    /// <summary>Waits for an accepted report that satisfies <paramref name="predicate"/>.</summary>
    public Task<ExecutorReport> WaitForReportAsync(Func<ExecutorReport, bool> predicate, string because) =>
        Eventually.UntilNotNullAsync(() => Server.Accepted.LastOrDefault(predicate), because: because);

    /// <summary>Waits until FE <paramref name="fe"/> is reported RUNNING; returns its process.</summary>
    public async Task<FakeFunctionExecutorProcess> WaitForRunningAsync(FunctionExecutorSpec fe)
    {
        await WaitForStateAsync(fe.Id, FunctionExecutorStatus.Running);
        return Launcher.ProcessesOf(fe.Id)[^1];
    }

    /// <summary>Waits until the Server was told that FE <paramref name="id"/> has <paramref name="status"/>.</summary>
    public async Task<FunctionExecutorState> WaitForStateAsync(string id, FunctionExecutorStatus status)
    {
        var report = await WaitForReportAsync(r => r.FunctionExecutors.Any(s => s.FunctionExecutorId == id && s.Status == status), $"FE {id} reported {status}");
        return report.FunctionExecutors.Single(s => s.FunctionExecutorId == id);
    }

    /// <summary>Waits until the Server accepted the result of <paramref name="allocationId"/>.</summary>
    public async Task<AllocationOutcome> WaitForResultAsync(string allocationId)
    {
        var report = await WaitForReportAsync(r => r.Results.Any(o => o.AllocationId == allocationId), $"the result of {allocationId} delivered");
        return report.Results.Single(o => o.AllocationId == allocationId);
    }

    /// <summary>Every result of <paramref name="allocationId"/> the Server accepted (one, unless it was reported twice).</summary>
    public IReadOnlyList<AllocationOutcome> DeliveredResultsOf(string allocationId) =>
        [.. Server.Accepted.SelectMany(r => r.Results).Where(o => o.AllocationId == allocationId)];

    /// <summary>Waits until the latest accepted report no longer lists FE <paramref name="id"/>.</summary>
    public Task WaitUntilGoneAsync(string id) =>
        Eventually.TrueAsync(() => Server.Accepted is [.., var last] && last.FunctionExecutors.All(s => s.FunctionExecutorId != id), because: $"FE {id} vanishes from the reports");

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _cluster.StopAllSilosAsync();
            await _cluster.DisposeAsync();
        }
        finally
        {
            await Launcher.DisposeAsync();
            _temp.Dispose();
        }
    }
}

using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace TestFunctionExecutor;

/// <summary>
/// The test FE's gRPC service hosted inside the calling process (grain tests), one instance per FE, on 127.0.0.1 with
/// a port the OS picks. It answers exactly as the process does (same service, same scripts by function name); what a
/// process does to itself is driven from outside instead: <see cref="CrashAsync"/> (it died: connections reset, port
/// closed), <see cref="KillAsync"/> (SIGKILL) and <see cref="TerminateAsync"/> (SIGTERM: a 0.1.3 FE drains its terminal
/// batches first). The scripted crashes (<c>init_crash</c>, <c>crash_idle_N</c>, <c>crash</c>) end this instance with
/// exit code 70 instead of the hosting process (see <see cref="InProcessCrashInterceptor"/>). Tests can see the
/// executor's calls as they arrive and hold those of one method (<see cref="InProcessCallGate"/>). The process entry
/// point (Program.cs) is not involved: no signal handlers, no console logging.
/// </summary>
public sealed class InProcessFunctionExecutor : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly FunctionExecutorHost _host;
    private readonly InProcessCallGate _calls;
    private readonly Connections _connections;
    private readonly TaskCompletionSource<int?> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private Task? _stopping;

    private InProcessFunctionExecutor(WebApplication app, FunctionExecutorHost host, InProcessCallGate calls, Connections connections, int port)
    {
        _app = app;
        _host = host;
        _calls = calls;
        _connections = connections;
        Port = port;
    }

    /// <summary>The loopback port it serves on.</summary>
    public int Port { get; }

    /// <summary>What get_info reports, e.g. "0.1.2", "0.1.3" or an unsupported value given as <c>protocol</c>.</summary>
    public string ReportedVersion => _host.Protocol.Reported;

    public bool HasExited => _exited.Task.IsCompleted;

    /// <summary>
    /// Completes once it stopped serving: with the exit code a process would have had (0 after a graceful stop,
    /// 70 after a scripted crash, the code given to <see cref="CrashAsync"/>), or null when it was killed.
    /// </summary>
    public Task<int?> Exited => _exited.Task;

    /// <summary>
    /// Starts serving. <paramref name="protocol"/> plays the role of <c>TEST_FE_PROTOCOL</c> (null = 0.1.2), and a
    /// protocol marker in <paramref name="functionExecutorId"/> wins over it, as for the process.
    /// </summary>
    public static async Task<InProcessFunctionExecutor> StartAsync(string executorId, string functionExecutorId, string? protocol, CancellationToken cancellationToken)
    {
        var connections = new Connections();
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(1));
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            KestrelConnectionLimits.Apply(kestrel.Limits);
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                listen.Use(connections.Track);
            });
        });
        builder.Services.AddRoutingCore();
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = null;
            o.MaxSendMessageSize = null;
            o.EnableDetailedErrors = true;
            o.Interceptors.Add<InProcessCallGate>();
            o.Interceptors.Add<InProcessCrashInterceptor>();
        });
        builder.Services.AddSingleton(new CommandLine(executorId, functionExecutorId, "127.0.0.1:0", Dev: false, Ignored: []));
        builder.Services.AddSingleton(FeProtocol.Select(functionExecutorId, protocol));
        builder.Services.AddSingleton(new BlobStore(new HttpClient(new SocketsHttpHandler { UseProxy = false, AutomaticDecompression = DecompressionMethods.None })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        }));
        builder.Services.AddSingleton<FunctionExecutorHost>();
        var calls = new InProcessCallGate();
        builder.Services.AddSingleton(calls);
        var crashes = new InProcessCrashInterceptor();
        builder.Services.AddSingleton(crashes);

        var app = builder.Build();
        app.UseRouting();
        app.MapGrpcService<FunctionExecutorService>();
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        var fe = new InProcessFunctionExecutor(app, app.Services.GetRequiredService<FunctionExecutorHost>(), calls, connections, new Uri(address).Port);
        crashes.Attach(fe);
        return fe;
    }

    /// <summary>The executor's calls so far, in arrival order: the RPC name (e.g. "delete_allocation") and the allocation it is about, if any.</summary>
    public IReadOnlyList<(string Method, string? AllocationId)> Calls => _calls.Calls;

    /// <summary>Completes once the executor called <paramref name="method"/> (about <paramref name="allocationId"/>, when given).</summary>
    public Task WaitForCallAsync(string method, string? allocationId = null, CancellationToken cancellationToken = default) =>
        _calls.WaitForCallAsync(method, allocationId, cancellationToken);

    /// <summary>Calls of <paramref name="method"/> wait, already counted in <see cref="Calls"/>, until <see cref="ReleaseCalls"/>.</summary>
    public void HoldCalls(string method) => _calls.Hold(method);

    public void ReleaseCalls(string method) => _calls.Release(method);

    /// <summary>Dies at once with <paramref name="exitCode"/>: connections reset, the port closed, nothing more answered.</summary>
    public Task CrashAsync(int exitCode = TestFunctions.CrashExitCode) => StopAsync(exitCode, graceful: false, TimeSpan.Zero);

    /// <summary>SIGKILL: as <see cref="CrashAsync"/>, with no exit code.</summary>
    public Task KillAsync() => StopAsync(null, graceful: false, TimeSpan.Zero);

    /// <summary>
    /// SIGTERM: a 0.1.3 FE stops admission and waits (at most 1 s) for its terminal batches to be fetched, then it stops
    /// serving (exit code 0). Killed when that takes longer than <paramref name="grace"/>.
    /// </summary>
    public Task TerminateAsync(TimeSpan grace) => StopAsync(0, graceful: true, grace);

    public async ValueTask DisposeAsync()
    {
        await KillAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private Task StopAsync(int? exitCode, bool graceful, TimeSpan grace)
    {
        lock (_gate)
        {
            return _stopping ??= StopOnceAsync(exitCode, graceful, grace);
        }
    }

    private async Task StopOnceAsync(int? exitCode, bool graceful, TimeSpan grace)
    {
        if (!graceful)
        {
            // Dead at once, as after SIGKILL: every connection reset before anything (a request ending because the
            // host stops, say) can answer, and no new one served.
            _connections.KillAll();
        }

        // Never inline in the caller: a scripted crash starts this from inside one of its own requests.
        await Task.Yield();
        using var deadline = new CancellationTokenSource(grace);
        if (!graceful)
        {
            await deadline.CancelAsync().ConfigureAwait(false);
        }

        if (graceful && _host.Protocol.Speaks013)
        {
            try
            {
                await _host.ShutdownAllocationsAsync().WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                exitCode = null;
            }
        }

        // A cancelled token makes Kestrel reset every connection instead of waiting for requests to end.
        await _app.StopAsync(deadline.Token).ConfigureAwait(false);
        _exited.TrySetResult(deadline.IsCancellationRequested && graceful ? null : exitCode);
    }

    /// <summary>The FE's connections, so a kill can reset them all at once.</summary>
    private sealed class Connections
    {
        private readonly ConcurrentDictionary<string, ConnectionContext> _open = new(StringComparer.Ordinal);
        private volatile bool _dead;

        public ConnectionDelegate Track(ConnectionDelegate next) => async connection =>
        {
            _open[connection.ConnectionId] = connection;
            try
            {
                if (_dead)
                {
                    connection.Abort(new ConnectionAbortedException("the function executor is dead"));
                    return;
                }

                await next(connection).ConfigureAwait(false);
            }
            finally
            {
                _open.TryRemove(connection.ConnectionId, out _);
            }
        };

        public void KillAll()
        {
            _dead = true;
            foreach (var connection in _open.Values)
            {
                connection.Abort(new ConnectionAbortedException("the function executor is dead"));
            }
        }
    }
}

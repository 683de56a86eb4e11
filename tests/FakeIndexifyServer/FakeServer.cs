using FakeIndexifyServer.Faults;
using FakeIndexifyServer.Hosting;
using FakeIndexifyServer.Model;
using FakeIndexifyServer.Observation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FakeIndexifyServer;

/// <summary>
/// A faithful in-process fake of the Indexify Server's executor API (protocol v1, or v2 with
/// <see cref="FakeServerOptions.Protocol"/>) on 127.0.0.1, for executor tests and benchmarks. Both protocols share
/// one model: v2 commands are derived from the desired states v1 pushes, and v2 reports feed the same books. All
/// state sits behind one lock; every public member is thread-safe. The listener can be stopped and started again on
/// the same port while the state lives on.
/// </summary>
public sealed partial class FakeServer : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly FakeServerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ChangeNotifier _changes = new();
    private readonly SemaphoreSlim _listenerGate = new(1, 1);
    private readonly string? _ownedBlobDirectory;

    private readonly Dictionary<string, ExecutorRecord> _executors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FunctionExecutorRecord> _functionExecutors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, AllocationRecord> _allocations = new(StringComparer.Ordinal);

    // Live (queued or placed) allocations in arrival order, so snapshots never scan finished ones.
    private readonly SortedDictionary<long, AllocationRecord> _liveAllocations = new();
    private readonly Dictionary<FunctionCallKey, FunctionCallOutcome> _functionCalls = new();

    private readonly FaultQueue _reportFaults = new();
    private readonly FaultQueue _functionCallFaults = new();

    private GrpcListener? _listener;
    private ITimer? _livenessTimer;
    private ulong _clock;
    private long _sequence;
    private long _order;
    private long _streamIds;
    private int _restartCount;
    private DateTimeOffset? _startupReaperDeadline;
    private bool _disposed;

    private FakeServer(FakeServerOptions options)
    {
        _options = options;
        _time = options.TimeProvider;
        _logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<FakeServer>();
        _clock = options.InitialClock;
        _livenessTimeout = options.LivenessTimeout;
        _repeatClockAcrossChanges = options.RepeatClockAcrossChanges;
        _firstSnapshotDelay = options.FirstSnapshotDelay;
        _adoptUntrackedFunctionExecutors = options.AdoptUntrackedFunctionExecutors;
        _enforceFunctionExecutorCapacity = options.EnforceFunctionExecutorCapacity;
        _pollHoldTimeout = options.PollHoldTimeout;
        _emitKillAllocationOnCancel = options.EmitKillAllocationOnCancel;

        if (options.BlobStoreUrl is { } url)
        {
            Blobs = new FakeBlobStore(url, options.BlobStoreDirectory);
        }
        else
        {
            var directory = options.BlobStoreDirectory;
            if (directory is null)
            {
                directory = _ownedBlobDirectory = Path.Combine(Path.GetTempPath(), $"fake-indexify-blobs-{Guid.NewGuid():N}");
                Directory.CreateDirectory(directory);
            }

            directory = Path.GetFullPath(directory);
            Blobs = new FakeBlobStore(new Uri(directory).AbsoluteUri, directory);
        }
    }

    /// <summary>"127.0.0.1:port": what the executor's --grpc-server-addr takes.</summary>
    public string Address => $"127.0.0.1:{Port}";

    /// <summary>"http://127.0.0.1:port", for a GrpcChannel.</summary>
    public string Url => $"http://127.0.0.1:{Port}";

    public int Port { get; private set; }

    public FakeServerOptions Options => _options;

    /// <summary>The blob root the fake hands out, with helpers to write payloads under it.</summary>
    public FakeBlobStore Blobs { get; }

    public bool IsListening
    {
        get
        {
            lock (_gate)
            {
                return _listener is not null;
            }
        }
    }

    /// <summary>Starts a fake server listening on 127.0.0.1 (a free port unless <see cref="FakeServerOptions.Port"/> is set).</summary>
    public static async Task<FakeServer> StartAsync(FakeServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        var server = new FakeServer(options ?? new FakeServerOptions());
        try
        {
            var listener = await GrpcListener.StartAsync(server, server._options, server._options.Port, cancellationToken).ConfigureAwait(false);
            lock (server._gate)
            {
                server._listener = listener;
                server.Port = listener.Port;
            }

            server._livenessTimer = server._time.CreateTimer(
                static state => ((FakeServer)state!).CheckLiveness(), server, server._options.LivenessCheckInterval, server._options.LivenessCheckInterval);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Takes the server off the network (connections refused, open streams broken by the transport) while its
    /// state is kept, as during a network partition. Liveness deadlines keep running.
    /// </summary>
    public async Task StopListeningAsync()
    {
        await _listenerGate.WaitAsync().ConfigureAwait(false);
        try
        {
            GrpcListener? listener;
            lock (_gate)
            {
                listener = _listener;
                _listener = null;
            }

            if (listener is null)
            {
                return;
            }

            await listener.StopAsync(TimeSpan.Zero).ConfigureAwait(false);
            lock (_gate)
            {
                // Anything Kestrel did not already tear down.
                foreach (var executor in _executors.Values)
                {
                    EndStreams(executor, StreamEnding.Abort);
                }
            }

            await listener.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _listenerGate.Release();
            _changes.Pulse();
        }
    }

    /// <summary>Listens again on the same port after <see cref="StopListeningAsync"/>.</summary>
    public async Task StartListeningAsync(CancellationToken cancellationToken = default)
    {
        await _listenerGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (IsListening)
            {
                return;
            }

            var listener = await GrpcListener.StartOnPortAsync(this, _options, Port, TimeSpan.FromSeconds(15), cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                _listener = listener;
            }
        }
        finally
        {
            _listenerGate.Release();
            _changes.Pulse();
        }
    }

    /// <summary>
    /// A server process restart: every executor, hash, deadline, FE placement, watch and v2 outbox is forgotten;
    /// allocations, function calls, v2 result routes and the clock survive. Open streams and held polls break with
    /// UNAVAILABLE, or at the transport level when <paramref name="dropConnections"/> is set (the listener is bounced
    /// on the same port). Executors that still own allocations and do not report again within
    /// <see cref="FakeServerOptions.StartupExecutorTimeout"/> are reaped.
    /// </summary>
    public async Task SimulateRestartAsync(bool dropConnections = false)
    {
        lock (_gate)
        {
            foreach (var executor in _executors.Values)
            {
                EndStreams(executor, dropConnections ? StreamEnding.Abort : StreamEnding.WithStatus(Grpc.Core.StatusCode.Unavailable, "server restarting"));
            }

            _executors.Clear();
            _functionExecutors.Clear();
            _startupReaperDeadline = _time.GetUtcNow() + _options.StartupExecutorTimeout;
            _restartCount++;
            Log.SimulatedRestart(_logger, _restartCount);
        }

        _changes.Pulse();
        if (dropConnections && IsListening)
        {
            await StopListeningAsync().ConfigureAwait(false);
            await StartListeningAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _livenessTimer?.Dispose();
        await StopListeningAsync().ConfigureAwait(false);
        _listenerGate.Dispose();
        if (_ownedBlobDirectory is not null)
        {
            try
            {
                Directory.Delete(_ownedBlobDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A file may still be open by a process under test; the temp cleaner gets the rest.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    private long NextSequence() => ++_sequence;

    /// <summary>One server event (an entry in the state-change sequence) draws the next clock value.</summary>
    private void AdvanceClockForEvent() => _clock++;
}

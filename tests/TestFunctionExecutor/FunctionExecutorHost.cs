using System.Collections.Concurrent;
using Executor.Protocol.FunctionExecutorV1;

namespace TestFunctionExecutor;

/// <summary>Process-wide FE state: the protocol, the initialized function and its script, and the live allocations.</summary>
internal sealed class FunctionExecutorHost(CommandLine commandLine, FeProtocol protocol, BlobStore blobs, IHostApplicationLifetime lifetime)
{
    /// <summary>How long a SIGTERM (0.1.3) waits, in total, for the terminal batches to be fetched.</summary>
    public static readonly TimeSpan ShutdownDrainTimeout = TimeSpan.FromSeconds(1);

    private volatile FunctionScript? _script;
    private volatile bool _admissionClosed;
    private int _initializationsInProgress;
    private volatile bool _initializationAttempted;

    public CommandLine CommandLine { get; } = commandLine;

    public FeProtocol Protocol { get; } = protocol;

    public BlobStore Blobs { get; } = blobs;

    /// <summary>Serializes initialize calls (the real FE holds a lock too).</summary>
    public SemaphoreSlim InitializationLock { get; } = new(1, 1);

    public FunctionRef? Function { get; private set; }

    /// <summary>Non-null once initialize succeeded; health checks pass only then.</summary>
    public FunctionScript? Script => _script;

    public ConcurrentDictionary<string, AllocationRunner> Allocations { get; } = new(StringComparer.Ordinal);

    /// <summary>Cancels hanging work when the host shuts down.</summary>
    public CancellationToken Stopping => lifetime.ApplicationStopping;

    /// <summary>0.1.3: set by SIGTERM; initialize and create_allocation then answer UNAVAILABLE.</summary>
    public bool AdmissionClosed => _admissionClosed;

    /// <summary>0.1.3: an initialize call is running (create_allocation waits for it).</summary>
    public bool InitializationInProgress => Volatile.Read(ref _initializationsInProgress) > 0;

    /// <summary>0.1.3: some initialize call was made (distinguishes "not initialized" from "initialization failed").</summary>
    public bool InitializationAttempted => _initializationAttempted;

    public void MarkInitialized(FunctionRef function, FunctionScript script)
    {
        Function = function;
        _script = script;
    }

    /// <summary>Counts an initialize call as in progress until the returned scope is disposed.</summary>
    public IDisposable BeginInitialization()
    {
        _initializationAttempted = true;
        Interlocked.Increment(ref _initializationsInProgress);
        return new InitializationScope(this);
    }

    public AllocationRunner CreateRunner(Allocation allocation, FunctionScript script, FunctionRef function)
        => Protocol.Speaks013
            ? new AllocationRunner013(allocation, this, script, function)
            : new AllocationRunner012(allocation, this, script, function);

    /// <summary>
    /// 0.1.3 SIGTERM, as the real FE G2: stop admission, queue a FAILURE/FUNCTION_ERROR finish for every unfinished
    /// allocation and stop its user code and reader, then wait up to <see cref="ShutdownDrainTimeout"/> in total for
    /// the terminal batches to be fetched.
    /// </summary>
    public async Task ShutdownAllocationsAsync()
    {
        _admissionClosed = true;
        var runners = Allocations.Values.OfType<AllocationRunner013>().ToList();
        foreach (var runner in runners)
        {
            runner.CancelForShutdown();
        }

        var deadline = DateTime.UtcNow + ShutdownDrainTimeout;
        foreach (var runner in runners)
        {
            if (!await runner.WaitForShutdownTerminalAsync(deadline - DateTime.UtcNow).ConfigureAwait(false))
            {
                FeLog.Error($"allocation {runner.Id}: shutdown terminal execution batch was not fetched before the drain deadline");
            }
        }
    }

    private sealed class InitializationScope(FunctionExecutorHost host) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref host._initializationsInProgress);
            }
        }
    }
}

using System.Collections.Concurrent;
using Executor.Protocol.FunctionExecutorV1;

namespace TestFunctionExecutor;

/// <summary>Process-wide FE state: the initialized function and its script, and the live allocations.</summary>
internal sealed class FunctionExecutorHost(CommandLine commandLine, BlobStore blobs, IHostApplicationLifetime lifetime)
{
    private volatile FunctionScript? _script;

    public CommandLine CommandLine { get; } = commandLine;

    public BlobStore Blobs { get; } = blobs;

    /// <summary>Serializes initialize calls (the real FE holds a lock too).</summary>
    public SemaphoreSlim InitializationLock { get; } = new(1, 1);

    public FunctionRef? Function { get; private set; }

    /// <summary>Non-null once initialize succeeded; health checks pass only then.</summary>
    public FunctionScript? Script => _script;

    public ConcurrentDictionary<string, AllocationRunner> Allocations { get; } = new(StringComparer.Ordinal);

    /// <summary>Cancels hanging work when the host shuts down.</summary>
    public CancellationToken Stopping => lifetime.ApplicationStopping;

    public void MarkInitialized(FunctionRef function, FunctionScript script)
    {
        Function = function;
        _script = script;
    }
}

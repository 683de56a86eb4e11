extern alias TestFe;

using System.Collections.Concurrent;
using Executor.FunctionExecutors.Processes;
using InProcessFunctionExecutor = TestFe::TestFunctionExecutor.InProcessFunctionExecutor;

namespace Executor.Grains.Tests.Infrastructure;

/// <summary>
/// Launches FEs as <see cref="FakeFunctionExecutorProcess"/>es (the test FE's service in this process on 127.0.0.1)
/// and keeps every one it launched; launches can be scripted to fail.
/// </summary>
public sealed class InProcessLauncher(string cachePath) : IFunctionExecutorProcessLauncher, IAsyncDisposable
{
    private readonly ConcurrentQueue<FakeFunctionExecutorProcess> _launched = new();
    private readonly ConcurrentDictionary<string, string> _failures = new(StringComparer.Ordinal);
    private int _nextProcessId = 4_000_000;

    /// <summary>What FEs without a protocol marker in their id report (as TEST_FE_PROTOCOL); null = 0.1.2.</summary>
    public string? Protocol { get; set; }

    public IReadOnlyList<FakeFunctionExecutorProcess> Launched => [.. _launched];

    /// <summary>The processes launched for <paramref name="functionExecutorId"/>, oldest first.</summary>
    public IReadOnlyList<FakeFunctionExecutorProcess> ProcessesOf(string functionExecutorId) =>
        [.. _launched.Where(p => p.FunctionExecutorId == functionExecutorId)];

    /// <summary>Every launch of <paramref name="functionExecutorId"/> fails as a process that exits before it listens.</summary>
    public void FailLaunchesOf(string functionExecutorId, string message) => _failures[functionExecutorId] = message;

    public async Task<IFunctionExecutorProcess> LaunchAsync(FunctionExecutorLaunchRequest request, CancellationToken cancellationToken)
    {
        if (_failures.TryGetValue(request.FunctionExecutorId, out var message))
        {
            throw new FunctionExecutorLaunchException(message, request.FunctionExecutorId, new FunctionExecutorProcessExit(1, null, false, false, message), null, attempts: 1);
        }

        var fe = await InProcessFunctionExecutor.StartAsync(request.ExecutorId, request.FunctionExecutorId, Protocol, cancellationToken).ConfigureAwait(false);
        var process = new FakeFunctionExecutorProcess(fe, request, Interlocked.Increment(ref _nextProcessId), Path.Combine(cachePath, "fe-logs", request.FunctionExecutorId + ".log"));
        _launched.Enqueue(process);
        return process;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _launched)
        {
            await process.DisposeAsync().ConfigureAwait(false);
        }
    }
}

using System.Collections.Concurrent;
using Executor.Model;
using Executor.Server;

namespace Executor.Allocations.Tests.Infrastructure;

/// <summary>A Server that accepts every call_function and records it, with the uploads completed by then.</summary>
internal sealed class RecordingServer(RecordingBlobStore blobs) : IServerConnection
{
    private readonly ConcurrentQueue<(FunctionCallRequestSpec Request, IReadOnlyList<string> CompletedUploads)> _calls = new();

    public IReadOnlyList<(FunctionCallRequestSpec Request, IReadOnlyList<string> CompletedUploads)> Calls => [.. _calls];

    public Task CallFunctionAsync(FunctionCallRequestSpec request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        _calls.Enqueue((request, [.. blobs.Completed.Select(c => c.Uri)]));
        return Task.CompletedTask;
    }

    public Task<ReportReceipt> ReportAsync(ExecutorReport report, CancellationToken cancellationToken) => throw new NotSupportedException();

    public IAsyncEnumerable<DesiredState> ReadDesiredStatesAsync(string executorId, TimeSpan idleTimeout, CancellationToken cancellationToken) => throw new NotSupportedException();

    public void RecycleChannel()
    {
    }

    public string? DescribeLastReport(bool json) => null;

    public string? DescribeLastDesiredState(bool json) => null;
}

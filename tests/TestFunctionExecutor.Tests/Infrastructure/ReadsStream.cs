using Executor.Protocol.FunctionExecutorV1;
using Grpc.Core;

namespace TestFunctionExecutor.Tests.Infrastructure;

/// <summary>One watch_allocation_event_log_reads stream, read request by request (0.1.3).</summary>
public sealed class ReadsStream : IDisposable
{
    private readonly AsyncServerStreamingCall<ReadAllocationEventLogRequest> _call;

    public ReadsStream(FunctionExecutor.FunctionExecutorClient client, string allocationId)
    {
        _call = client.watch_allocation_event_log_reads(new WatchAllocationEventLogReads { AllocationId = allocationId }, deadline: DateTime.UtcNow.AddMinutes(2));
    }

    /// <summary>The next read request; fails if the stream ends or nothing comes within <paramref name="timeout"/>.</summary>
    public async Task<ReadAllocationEventLogRequest> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? FunctionExecutorProcess.CallTimeout);
        Assert.True(await _call.ResponseStream.MoveNext(cts.Token), "the reads stream ended");
        return _call.ResponseStream.Current;
    }

    /// <summary>True when the stream ends normally (OK) next, within <paramref name="timeout"/>.</summary>
    public async Task<bool> EndsAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? FunctionExecutorProcess.CallTimeout);
        return !await _call.ResponseStream.MoveNext(cts.Token);
    }

    /// <summary>The read requests still delivered until the stream ends normally (within <paramref name="timeout"/>).</summary>
    public async Task<IReadOnlyList<ReadAllocationEventLogRequest>> RestAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? FunctionExecutorProcess.CallTimeout);
        var rest = new List<ReadAllocationEventLogRequest>();
        while (await _call.ResponseStream.MoveNext(cts.Token))
        {
            rest.Add(_call.ResponseStream.Current);
        }

        return rest;
    }

    public void Dispose() => _call.Dispose();
}

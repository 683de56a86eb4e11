using System.Collections.Concurrent;
using Executor.Protocol.FunctionExecutorV1;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace TestFunctionExecutor;

/// <summary>
/// Lets a test see the executor's calls to an <see cref="InProcessFunctionExecutor"/> (method, allocation id) as they
/// arrive, and hold the calls of a method before the service answers them. Only for in-process hosting.
/// </summary>
internal sealed class InProcessCallGate : Interceptor
{
    private readonly ConcurrentQueue<(string Method, string? AllocationId)> _calls = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _holds = new(StringComparer.Ordinal);
    private TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<(string Method, string? AllocationId)> Calls => [.. _calls];

    public void Hold(string method) => _holds.TryAdd(method, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public void Release(string method)
    {
        if (_holds.TryRemove(method, out var hold))
        {
            hold.TrySetResult();
        }
    }

    /// <summary>Completes once a call of <paramref name="method"/> (for <paramref name="allocationId"/>, when given) arrived.</summary>
    public async Task WaitForCallAsync(string method, string? allocationId, CancellationToken cancellationToken)
    {
        while (true)
        {
            var arrived = Volatile.Read(ref _arrived).Task;
            if (_calls.Any(c => c.Method == method && (allocationId is null || c.AllocationId == allocationId)))
            {
                return;
            }

            await arrived.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        await ArriveAsync(context, request, context.CancellationToken).ConfigureAwait(false);
        return await continuation(request, context).ConfigureAwait(false);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await ArriveAsync(context, request, context.CancellationToken).ConfigureAwait(false);
        await continuation(request, responseStream, context).ConfigureAwait(false);
    }

    private async Task ArriveAsync(ServerCallContext context, object request, CancellationToken cancellationToken)
    {
        var method = context.Method[(context.Method.LastIndexOf('/') + 1)..];
        _calls.Enqueue((method, AllocationIdOf(request)));
        Interlocked.Exchange(ref _arrived, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        if (_holds.TryGetValue(method, out var hold))
        {
            await hold.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static string? AllocationIdOf(object request) => request switch
    {
        CreateAllocationRequest r => r.Allocation?.AllocationId,
        WatchAllocationStateRequest r => r.AllocationId,
        DeleteAllocationRequest r => r.AllocationId,
        AllocationUpdate r => r.AllocationId,
        _ => null,
    };
}

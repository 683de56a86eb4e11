using Executor.FunctionExecutors;
using Grpc.Core;
using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.Allocations;

/// <summary>
/// watch_allocation_state for one allocation: every distinct state once (states repeat; the hash tells them
/// apart). A stream broken in the transport (e.g. the FE's HTTP/2 server sent GOAWAY) is reopened a few times:
/// watching has no side effects and the FE answers a new watch with its current state. A dead FE refuses quickly.
/// </summary>
public sealed class AllocationStateStream(AllocationContext context) : IDisposable
{
    private const int MaxReopens = 3;

    private AsyncServerStreamingCall<Fe.AllocationState>? _call;
    private string? _lastHash;
    private int _reopenAttempts;

    /// <summary>The next state the FE did not show before; null when the FE ended the stream.</summary>
    public async Task<Fe.AllocationState?> NextAsync()
    {
        _call ??= context.Client.WatchAllocationState(context.AllocationId, context.Stopping);
        while (true)
        {
            bool hasState;
            try
            {
                hasState = await _call.ResponseStream.MoveNext(context.Stopping);
            }
            catch (RpcException ex) when (!context.Stopping.IsCancellationRequested && FunctionExecutorClient.IsTransportFailure(ex) && _reopenAttempts < MaxReopens)
            {
                _reopenAttempts++;
                AllocationLog.WatchReopened(context.Logger, context.AllocationId, _reopenAttempts, ex.Status.Detail);
                context.Metrics.WatchReopens.Add(1);
                _call.Dispose();
                await Task.Delay(TimeSpan.FromMilliseconds(50 * _reopenAttempts), context.Time, context.Stopping);
                _call = context.Client.WatchAllocationState(context.AllocationId, context.Stopping);
                _lastHash = null;
                continue;
            }

            if (!hasState)
            {
                return null;
            }

            _reopenAttempts = 0;
            var state = _call.ResponseStream.Current;
            if (state.HasSha256Hash && state.Sha256Hash == _lastHash)
            {
                continue;
            }

            _lastHash = state.HasSha256Hash ? state.Sha256Hash : null;
            return state;
        }
    }

    public void Dispose() => _call?.Dispose();
}

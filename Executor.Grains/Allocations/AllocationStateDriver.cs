using Executor.Model;
using Grpc.Core;
using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.Allocations;

/// <summary>
/// FE protocol 0.1.2 (tensorlake 0.3.1 … 0.4.31): everything travels in the allocation state. Follows
/// watch_allocation_state and reacts to each new state once: output BLOBs, function calls (started on the Server,
/// their creation results sent back), watchers (results sent back as they arrive), request state, progress, and
/// finally the result.
/// </summary>
public sealed class AllocationStateDriver(
    AllocationContext context,
    AllocationDeadline deadline,
    OutputBlobRequests outputBlobs,
    RequestStateOperations requestState,
    FunctionCallForwarder forwarder) : IAllocationDriver
{
    private readonly HashSet<string> _functionCalls = new(StringComparer.Ordinal);
    private readonly Dictionary<string, WatcherState> _watchers = new(StringComparer.Ordinal);
    private readonly List<Task> _backgroundUpdates = [];

    public async Task<AllocationFinish?> RunAsync()
    {
        using var stream = new AllocationStateStream(context);
        deadline.Start();
        while (true)
        {
            var next = stream.NextAsync();
            if (!await deadline.WaitAsync(next))
            {
                return null;
            }

            var state = await next;
            if (state is null)
            {
                // The stream ended without a result: the FE failed internally (reported as FUNCTION_ERROR).
                AllocationLog.StreamEndedWithoutResult(context.Logger, context.AllocationId);
                return AllocationFinish.WithoutResult();
            }

            // Our own work does not count against the function's time.
            deadline.Hold();
            try
            {
                await ReconcileAsync(state);
            }
            finally
            {
                deadline.Release();
            }

            if (deadline.OnProgress(state.Progress))
            {
                context.Metrics.ProgressUpdates.Add(1);
            }

            if (state.Result is { } result)
            {
                return AllocationFinish.FromResult(result);
            }
        }
    }

    /// <summary>Delivers a watched call's result to the FE, at most once per watcher.</summary>
    public void DeliverResult(string watcherId, FunctionCallResultSpec result)
    {
        if (!_watchers.TryGetValue(watcherId, out var watcher) || watcher.Delivering || watcher.ResultSent)
        {
            return;
        }

        watcher.Delivering = true;
        _backgroundUpdates.Add(SendWatcherResultAsync(watcherId, watcher, result));
    }

    public Task DeleteAsync(CancellationToken cancellationToken) =>
        context.Client.DeleteAllocationAsync(context.AllocationId, context.Options.FunctionExecutorRpcTimeout, cancellationToken);

    public async Task CloseAsync()
    {
        foreach (var (id, watcher) in _watchers)
        {
            context.Host.WatchRemoved(context.Run, id, watcher.Watch);
        }

        _watchers.Clear();
        try
        {
            await Task.WhenAll(_backgroundUpdates);
        }
        catch (Exception ex)
        {
            AllocationLog.UpdateFailed(context.Logger, context.AllocationId, ex.Message);
        }
    }

    private async Task ReconcileAsync(Fe.AllocationState state)
    {
        await outputBlobs.AnswerAsync(state.OutputBlobRequests);
        foreach (var call in state.FunctionCalls)
        {
            StartFunctionCall(call);
        }

        ReconcileWatchers(state.FunctionCallWatchers);
        await requestState.AnswerAsync(state.RequestStateOperations);
    }

    private void StartFunctionCall(Fe.AllocationFunctionCall call)
    {
        var key = call.HasId ? call.Id : call.Updates?.RootFunctionCallId;
        if (string.IsNullOrEmpty(key) || call.Updates is not { HasRootFunctionCallId: true } || (call.ArgsBlob is not null && call.ArgsBlob.Chunks.Any(c => !c.HasUri || !c.HasSize)))
        {
            AllocationLog.InvalidFunctionCall(context.Logger, context.AllocationId, key ?? "(none)");
            return;
        }

        // Remembered before trying: a failed call is reported to the FE, which decides; it is not retried here.
        if (_functionCalls.Add(key))
        {
            _backgroundUpdates.Add(ForwardAndReportAsync(key, call));
        }
    }

    private async Task ForwardAndReportAsync(string key, Fe.AllocationFunctionCall call)
    {
        var status = new Google.Rpc.Status { Code = 0 };
        try
        {
            await forwarder.ForwardAsync(call.Updates, call.ArgsBlob);
        }
        catch (Exception ex) when (!context.Stopping.IsCancellationRequested)
        {
            AllocationLog.FunctionCallFailed(context.Logger, context.AllocationId, key, ex.Message);
            status = new Google.Rpc.Status { Code = 13, Message = "Failed to create function call." };
        }

        try
        {
            await context.Client.SendAllocationUpdateAsync(
                new Fe.AllocationUpdate
                {
                    AllocationId = context.AllocationId,
                    FunctionCallCreationResult = new Fe.AllocationFunctionCallCreationResult { FunctionCallId = key, AllocationFunctionCallId = key, Status = status },
                },
                context.Options.FunctionExecutorRpcTimeout,
                context.Stopping);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.FailedPrecondition)
        {
            // The FE already finished the allocation; nothing to tell it.
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException)
        {
            AllocationLog.UpdateFailed(context.Logger, context.AllocationId, ex.Message);
        }
    }

    private void ReconcileWatchers(IEnumerable<Fe.AllocationFunctionCallWatcher> watchers)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var watcher in watchers)
        {
            var id = watcher.HasId ? watcher.Id : watcher.HasWatcherId ? watcher.WatcherId : null;
            var callId = watcher.HasRootFunctionCallId ? watcher.RootFunctionCallId : watcher.HasFunctionCallId ? watcher.FunctionCallId : null;
            if (id is null || callId is null)
            {
                AllocationLog.InvalidWatcher(context.Logger, context.AllocationId);
                continue;
            }

            seen.Add(id);
            if (_watchers.ContainsKey(id))
            {
                continue;
            }

            var watch = context.WatchOf(callId);
            var state = new WatcherState(watch);
            _watchers[id] = state;
            context.Host.WatchAdded(context.Run, id, watch);

            // The function is waiting on another call: that time is not its own.
            HoldDeadline(state);
        }

        foreach (var gone in _watchers.Keys.Where(k => !seen.Contains(k)).ToList())
        {
            var state = _watchers[gone];
            context.Host.WatchRemoved(context.Run, gone, state.Watch);
            _watchers.Remove(gone);
            ReleaseDeadline(state);
        }
    }

    private async Task SendWatcherResultAsync(string watcherId, WatcherState watcher, FunctionCallResultSpec result)
    {
        try
        {
            var update = new Fe.AllocationFunctionCallResult
            {
                FunctionCallId = watcher.Watch.FunctionCallId,
                WatcherId = watcherId,
                OutcomeCode = result.Outcome switch
                {
                    OutcomeCode.Success => Fe.AllocationOutcomeCode.Success,
                    OutcomeCode.Failure => Fe.AllocationOutcomeCode.Failure,
                    _ => Fe.AllocationOutcomeCode.Unknown,
                },
            };
            if (result.ReturnValue is not null)
            {
                var (value, blob) = await context.Blobs.ReadablePayloadAsync(result.ReturnValue, context.Stopping);
                update.ValueOutput = value;
                update.ValueBlob = blob;
            }

            if (result.RequestError is not null)
            {
                var (value, blob) = await context.Blobs.ReadablePayloadAsync(result.RequestError, context.Stopping);
                update.RequestErrorOutput = value;
                update.RequestErrorBlob = blob;
            }

            await context.Client.SendAllocationUpdateAsync(new Fe.AllocationUpdate { AllocationId = context.AllocationId, FunctionCallResult = update }, context.Options.FunctionExecutorRpcTimeout, context.Stopping);
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException or BlobStore.BlobStoreException or InvalidDataException)
        {
            AllocationLog.UpdateFailed(context.Logger, context.AllocationId, ex.Message);
        }
        finally
        {
            // Either way the FE is no longer waiting on us: the timeout runs again.
            watcher.ResultSent = true;
            ReleaseDeadline(watcher);
        }
    }

    private void HoldDeadline(WatcherState watcher)
    {
        watcher.HoldsDeadline = true;
        deadline.Hold();
    }

    private void ReleaseDeadline(WatcherState watcher)
    {
        if (watcher.HoldsDeadline)
        {
            watcher.HoldsDeadline = false;
            deadline.Release();
        }
    }

    private sealed class WatcherState(FunctionCallWatch watch)
    {
        public FunctionCallWatch Watch { get; } = watch;

        public bool Delivering { get; set; }

        public bool ResultSent { get; set; }

        public bool HoldsDeadline { get; set; }
    }
}

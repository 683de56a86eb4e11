using System.Diagnostics;
using Executor.BlobStore;
using Executor.Configuration;
using Executor.FunctionExecutors;
using Executor.Model;
using Executor.Server;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.Allocations;

/// <summary>
/// Runs one allocation on its FE: prepares inputs, creates it, follows watch_allocation_state (reacting to
/// each new state once: output BLOBs, function calls, watchers, request state, progress), then finalizes the
/// uploads and builds the outcome. It runs on its grain's scheduler, so it never races the grain, and only
/// awaits I/O (never blocks a turn).
/// </summary>
public sealed partial class AllocationRunner
{
    private const int MaxFunctionCallBytes = 1024 * 1024;
    private const int MaxFunctionCallItems = 1000;

    private readonly AllocationSpec _spec;
    private readonly uint _timeoutMs;
    private readonly FunctionExecutorClient _client;
    private readonly BlobMessages _blobs;
    private readonly IServerConnection _server;
    private readonly ExecutorOptions _options;
    private readonly IAllocationHost _host;
    private readonly AllocationMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();

    // Ends the FE-side cleanup after the outcome (delete_allocation) when the FE goes away; a cancellation does not.
    private readonly CancellationTokenSource _cleanupStop = new();
    private readonly Dictionary<string, PendingUpload> _outputBlobs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PendingUpload> _stateWrites = new(StringComparer.Ordinal);
    private readonly HashSet<string> _answeredStateOperations = new(StringComparer.Ordinal);
    private readonly HashSet<string> _functionCalls = new(StringComparer.Ordinal);
    private readonly Dictionary<string, WatcherState> _watchers = new(StringComparer.Ordinal);
    private readonly List<Task> _backgroundUpdates = [];
    private PendingUpload? _requestErrorUpload;
    private TaskCompletionSource _watchersChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private AllocationStopReason _stopReason;
    private bool _countedAsRunning;
    private AllocationFailureReason _stopFailure;
    private long? _startedAt;
    private bool _deletedOnFunctionExecutor;
    private bool _finishedOnFunctionExecutor;
    private bool _streamEndedWithoutResult;
    private bool _finished;
    private string? _lastStateHash;
    private Fe.AllocationProgress? _lastProgress;
    private DateTimeOffset _deadline;

    public AllocationRunner(AllocationSpec spec, uint timeoutMs, FunctionExecutorClient client, BlobMessages blobs, IServerConnection server, ExecutorOptions options, IAllocationHost host, AllocationMetrics metrics, ILogger logger, TimeProvider time)
    {
        _spec = spec;
        _timeoutMs = timeoutMs;
        _client = client;
        _blobs = blobs;
        _server = server;
        _options = options;
        _host = host;
        _metrics = metrics;
        _logger = logger;
        _time = time;
    }

    public AllocationSpec Spec => _spec;

    public bool HasStarted => _startedAt is not null;

    /// <summary>
    /// True once the outcome went to the hand-over callback of <see cref="RunAsync"/>: it is final, and what is left
    /// (delete_allocation on the FE, aborting unused uploads) runs while the run still holds its FE slot.
    /// </summary>
    public bool OutcomeHandedOver { get; private set; }

    /// <summary>Asks the run to end; the reason decides its outcome. The first reason wins; a handed-over outcome is final.</summary>
    public void Stop(AllocationStopReason reason, AllocationFailureReason failure = AllocationFailureReason.FunctionExecutorTerminated)
    {
        // A run that already cleaned up has nothing left to stop (and its token sources are disposed).
        if (_finished)
        {
            return;
        }

        // An FE that fails or goes away will not answer delete_allocation; a cancellation leaves it to finish.
        if (reason != AllocationStopReason.Cancelled)
        {
            _cleanupStop.Cancel();
        }

        if (_stopReason != AllocationStopReason.None || OutcomeHandedOver)
        {
            return;
        }

        _stopReason = reason;
        _stopFailure = failure;
        _stop.Cancel();
    }

    /// <summary>
    /// Runs the allocation. With <paramref name="handOver"/>, an outcome that needs no FE termination is handed over
    /// as soon as it is final (the returned result then has no outcome), before delete_allocation and the upload
    /// cleanup: those are not on the path of the result to the Server. The returned task ends after the cleanup.
    /// </summary>
    public async Task<AllocationRunResult> RunAsync(Action<AllocationOutcome>? handOver = null)
    {
        AllocationRunResult result;
        try
        {
            result = await RunCoreAsync();
        }
        catch (Exception ex) when (_stopReason != AllocationStopReason.None)
        {
            LogStopped(_logger, _spec.AllocationId, _stopReason.ToString(), ex.GetType().Name);
            result = StoppedResult();
        }
        catch (Exception ex)
        {
            LogUnexpected(_logger, ex, _spec.AllocationId);
            result = Fail(AllocationFailureReason.InternalError, terminate: null);
        }

        try
        {
            if (handOver is not null && result.Outcome is { } outcome && result.TerminateFunctionExecutor is null)
            {
                OutcomeHandedOver = true;
                handOver(outcome);
                result = result with { Outcome = null };
            }

            // The FE finished the allocation: it may forget it now. An FE that does not answer is in an undefined
            // state and is replaced, but the outcome stands (the FE produced it and its outputs are complete).
            if (await DeleteOnFunctionExecutorAsync() is { } terminate && result.TerminateFunctionExecutor is null)
            {
                result = result with { TerminateFunctionExecutor = terminate };
            }
        }
        finally
        {
            await CleanupAsync();
        }

        return result;
    }

    private async Task<AllocationRunResult> RunCoreAsync()
    {
        // 1. Inputs. Any failure here is ours: INTERNAL_ERROR, the FE is untouched.
        Fe.FunctionInputs inputs;
        var preparing = Stopwatch.GetTimestamp();
        _metrics.PreparingChanged(1);
        try
        {
            inputs = await PrepareInputsAsync(_stop.Token);
            _metrics.Preparations.Add(1);
        }
        catch (Exception ex) when (_stopReason == AllocationStopReason.None)
        {
            _metrics.Preparations.Add(1);
            _metrics.PreparationErrors.Add(1);
            LogPreparationFailed(_logger, _spec.AllocationId, ex.Message);
            return Fail(AllocationFailureReason.InternalError, terminate: null);
        }
        finally
        {
            _metrics.PreparingChanged(-1);
            _metrics.PreparationLatency.Record(Stopwatch.GetElapsedTime(preparing).TotalSeconds);
        }

        // Stopped while preparing but preparation did not notice: the FE never saw it, so nothing runs and nothing is terminated.
        if (_stopReason != AllocationStopReason.None)
        {
            LogStopped(_logger, _spec.AllocationId, _stopReason.ToString(), "before start");
            return StoppedResult();
        }

        // 2. Create and watch.
        _startedAt = _time.GetTimestamp();
        _metrics.Runs.Add(1);
        _metrics.RunningChanged(1);
        _countedAsRunning = true;
        Fe.AllocationResult? result;
        try
        {
            await _client.CreateAllocationAsync(
                new Fe.Allocation { RequestId = _spec.RequestId, FunctionCallId = _spec.FunctionCallId, AllocationId = _spec.AllocationId, Inputs = inputs },
                _options.FunctionExecutorRpcTimeout,
                _stop.Token);
            result = await WatchUntilResultAsync();
            if (result is null)
            {
                return TimedOut();
            }

            if (_streamEndedWithoutResult)
            {
                // No result from the FE: it may have died under the allocation, which a delete it cannot answer reveals
                // (the allocation then fails as the FE's failure, OOM included). A real result is deleted after the hand-over.
                await _client.DeleteAllocationAsync(_spec.AllocationId, _options.FunctionExecutorRpcTimeout, _stop.Token);
                _deletedOnFunctionExecutor = true;
            }

            _finishedOnFunctionExecutor = true;
        }
        catch (RpcException ex) when (_stopReason == AllocationStopReason.None && ex.StatusCode == StatusCode.DeadlineExceeded)
        {
            LogRpcTimeout(_logger, _spec.AllocationId);
            return TimedOut();
        }
        catch (RpcException ex) when (_stopReason == AllocationStopReason.None)
        {
            // The FE is in an undefined state: fail the allocation and replace the FE.
            _metrics.RunErrors.Add(1);
            LogUndefinedState(_logger, _spec.AllocationId, ex.StatusCode.ToString(), ex.Status.Detail);
            return Fail(_host.FailureReasonForDeadExecutor, FunctionExecutorTerminationReason.Unhealthy);
        }
        catch (Exception ex) when (_stopReason == AllocationStopReason.None)
        {
            // As upstream: anything unexpected inside the state loop leaves the FE running an allocation we no longer
            // follow, so the allocation fails and the FE is replaced rather than left with an orphan.
            _metrics.RunErrors.Add(1);
            LogUnexpected(_logger, ex, _spec.AllocationId);
            return Fail(AllocationFailureReason.FunctionError, FunctionExecutorTerminationReason.Unhealthy);
        }

        var duration = DurationMs();

        // 3. Finalize uploads and build the outcome.
        return await FinalizeAsync(result, duration);
    }

    private async Task<Fe.FunctionInputs> PrepareInputsAsync(CancellationToken cancellationToken)
    {
        var inputs = new Fe.FunctionInputs { FunctionCallMetadata = ByteString.CopyFrom(_spec.FunctionCallMetadata) };
        foreach (var arg in _spec.Args)
        {
            var (value, blob) = await _blobs.ReadablePayloadAsync(arg, cancellationToken);
            inputs.Args.Add(value);
            inputs.ArgBlobs.Add(blob);
        }

        // One request-error BLOB per allocation, so concurrent allocations of a request never share it.
        var errorUri = $"{_spec.RequestErrorPayloadUriPrefix}.{_spec.AllocationId}.req_error";
        var uploadId = await _blobs.Store.CreateMultipartUploadAsync(errorUri, cancellationToken);
        _requestErrorUpload = new PendingUpload(errorUri, uploadId);
        inputs.RequestErrorBlob = await _blobs.WritableAsync("request_error_blob", errorUri, uploadId, BlobLayout.RequestErrorBlobSize, cancellationToken);
        return inputs;
    }

    /// <summary>Follows the state stream until a result arrives; null when the allocation timed out.</summary>
    private async Task<Fe.AllocationResult?> WatchUntilResultAsync()
    {
        var call = _client.WatchAllocationState(_spec.AllocationId, _stop.Token);
        var reopenAttempts = 0;
        _deadline = _time.GetUtcNow() + TimeSpan.FromMilliseconds(_timeoutMs);
        try
        {
            while (true)
            {
                var next = call.ResponseStream.MoveNext(_stop.Token);
                if (!await WaitWithinDeadlineAsync(next))
                {
                    return null;
                }

                bool hasState;
                try
                {
                    hasState = await next;
                }
                catch (RpcException ex) when (_stopReason == AllocationStopReason.None && FunctionExecutorClient.IsTransportFailure(ex) && reopenAttempts < MaxWatchReopens)
                {
                    // The connection under the stream broke (e.g. the FE's HTTP/2 server sent GOAWAY) but the FE may be
                    // fine: watching is side-effect free and the FE answers a new watch with the current state, so reopen
                    // it a few times before declaring the FE undefined. A dead FE refuses the reopen quickly.
                    reopenAttempts++;
                    LogWatchReopened(_logger, _spec.AllocationId, reopenAttempts, ex.Status.Detail);
                    _metrics.WatchReopens.Add(1);
                    call.Dispose();
                    await Task.Delay(TimeSpan.FromMilliseconds(50 * reopenAttempts), _time, _stop.Token);
                    call = _client.WatchAllocationState(_spec.AllocationId, _stop.Token);
                    _lastStateHash = null;
                    continue;
                }

                if (hasState)
                {
                    reopenAttempts = 0;
                    var result = await OnStateAsync(call.ResponseStream.Current);
                    if (result is not null)
                    {
                        return result;
                    }

                    continue;
                }

                // The stream ended without a result: the FE failed internally (reported as FUNCTION_ERROR).
                LogStreamEndedWithoutResult(_logger, _spec.AllocationId);
                _streamEndedWithoutResult = true;
                return new Fe.AllocationResult { OutcomeCode = Fe.AllocationOutcomeCode.Failure, FailureReason = Fe.AllocationFailureReason.InternalError };
            }
        }
        finally
        {
            call.Dispose();
        }
    }

    private const int MaxWatchReopens = 3;

    /// <summary>Reacts to one state from the FE (once per distinct state); returns the result when it carries one.</summary>
    private async Task<Fe.AllocationResult?> OnStateAsync(Fe.AllocationState state)
    {
        if (state.HasSha256Hash && state.Sha256Hash == _lastStateHash)
        {
            return null;
        }

        _lastStateHash = state.HasSha256Hash ? state.Sha256Hash : null;
        var reconcileStarted = _time.GetTimestamp();
        await ReconcileStateAsync(state);
        var reconcileTime = _time.GetElapsedTime(reconcileStarted);

        // Our own work does not count against the function's time.
        _deadline += reconcileTime;
        if (state.Progress is not null && !state.Progress.Equals(_lastProgress))
        {
            _lastProgress = state.Progress.Clone();
            _deadline = _time.GetUtcNow() + TimeSpan.FromMilliseconds(_timeoutMs);
            _metrics.ProgressUpdates.Add(1);
        }

        return state.Result;
    }

    /// <summary>Waits for the next state within the deadline; the deadline is suspended while a watched call is outstanding.</summary>
    private async Task<bool> WaitWithinDeadlineAsync(Task next)
    {
        while (!next.IsCompleted)
        {
            var changed = _watchersChanged.Task;
            if (_watchers.Values.Any(w => !w.ResultSent))
            {
                var waitStarted = _time.GetUtcNow();
                await Task.WhenAny(next, changed);
                _deadline += _time.GetUtcNow() - waitStarted;
                continue;
            }

            var remaining = _deadline - _time.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
            {
                return false;
            }

            using var delayCancellation = new CancellationTokenSource();
            var delay = Task.Delay(remaining, _time, delayCancellation.Token);
            var first = await Task.WhenAny(next, changed, delay);
            delayCancellation.Cancel();
            if (first == delay && !next.IsCompleted && _deadline <= _time.GetUtcNow())
            {
                return false;
            }
        }

        return true;
    }

    private async Task ReconcileStateAsync(Fe.AllocationState state)
    {
        foreach (var request in state.OutputBlobRequests)
        {
            await HandleOutputBlobRequestAsync(request);
        }

        foreach (var call in state.FunctionCalls)
        {
            HandleFunctionCall(call);
        }

        ReconcileWatchers(state.FunctionCallWatchers);
        foreach (var operation in state.RequestStateOperations.Where(o => o.OperationCase == Fe.AllocationRequestStateOperation.OperationOneofCase.PrepareRead))
        {
            await HandleStateOperationAsync(operation);
        }

        foreach (var operation in state.RequestStateOperations.Where(o => o.OperationCase != Fe.AllocationRequestStateOperation.OperationOneofCase.PrepareRead))
        {
            await HandleStateOperationAsync(operation);
        }
    }

    private async Task HandleOutputBlobRequestAsync(Fe.AllocationOutputBLOBRequest request)
    {
        if (!request.HasId || !request.HasSize || request.Size > (ulong)BlobLayout.MaxOutputBlobSize)
        {
            LogInvalidOutputBlobRequest(_logger, _spec.AllocationId, request.HasId ? request.Id : "(none)");
            return;
        }

        if (_outputBlobs.ContainsKey(request.Id))
        {
            return;
        }

        var uri = $"{_spec.RequestDataPayloadUriPrefix}.{_spec.AllocationId}.{request.Id}.output";
        Fe.AllocationOutputBlob reply;
        try
        {
            var uploadId = await _blobs.Store.CreateMultipartUploadAsync(uri, _stop.Token);
            _outputBlobs[request.Id] = new PendingUpload(uri, uploadId);
            reply = new Fe.AllocationOutputBlob
            {
                Status = new Google.Rpc.Status { Code = 0 },
                Blob = await _blobs.WritableAsync(request.Id, uri, uploadId, (long)request.Size, _stop.Token),
            };
        }
        catch (Exception ex) when (ex is BlobStoreException or IOException or InvalidOperationException)
        {
            LogOutputBlobFailed(_logger, _spec.AllocationId, request.Id, ex.Message);
            _outputBlobs.TryAdd(request.Id, new PendingUpload(uri, null));
            reply = new Fe.AllocationOutputBlob
            {
                Status = new Google.Rpc.Status { Code = 13, Message = "Failed to create output BLOB." },
                Blob = new Fe.BLOB { Id = request.Id },
            };
        }

        await SendUpdateAsync(new Fe.AllocationUpdate { AllocationId = _spec.AllocationId, OutputBlob = reply });
    }

    private void HandleFunctionCall(Fe.AllocationFunctionCall call)
    {
        var key = call.HasId ? call.Id : call.Updates?.RootFunctionCallId;
        if (string.IsNullOrEmpty(key) || call.Updates is not { HasRootFunctionCallId: true } || (call.ArgsBlob is not null && call.ArgsBlob.Chunks.Any(c => !c.HasUri || !c.HasSize)))
        {
            LogInvalidFunctionCall(_logger, _spec.AllocationId, key ?? "(none)");
            return;
        }

        // Remembered before trying: a failed call is reported to the FE, which decides; it is not retried here.
        if (!_functionCalls.Add(key))
        {
            return;
        }

        _backgroundUpdates.Add(StartFunctionCallAsync(key, call));
    }

    private async Task StartFunctionCallAsync(string key, Fe.AllocationFunctionCall call)
    {
        var status = new Google.Rpc.Status { Code = 0 };
        try
        {
            string? argsUri = null;
            if (call.ArgsBlob is not null)
            {
                argsUri = await CompleteOutputBlobAsync(call.ArgsBlob) ?? throw new InvalidDataException("function call arguments BLOB is not a pending output BLOB");
            }

            var graph = FunctionExecutorMapping.ToCallGraph(call.Updates, argsUri, out var error) ?? throw new InvalidDataException(error);
            var request = new FunctionCallRequestSpec
            {
                Namespace = _spec.Function.Namespace,
                Application = _spec.Function.Application,
                RequestId = _spec.RequestId,
                SourceFunctionCallId = _spec.FunctionCallId,
                Updates = graph,
                AllocationId = _spec.AllocationId,
            };
            if (FunctionExecutorMapping.CountItems(graph) > MaxFunctionCallItems || Server.V1.ServerV1Connection.MeasureCallFunction(request) > MaxFunctionCallBytes)
            {
                throw new InvalidDataException("function call exceeds 1 MiB or 1000 items");
            }

            await CallFunctionWithRetriesAsync(request);
        }
        catch (Exception ex) when (_stopReason == AllocationStopReason.None)
        {
            LogFunctionCallFailed(_logger, _spec.AllocationId, key, ex.Message);
            status = new Google.Rpc.Status { Code = 13, Message = "Failed to create function call." };
        }

        try
        {
            await _client.SendAllocationUpdateAsync(
                new Fe.AllocationUpdate
                {
                    AllocationId = _spec.AllocationId,
                    FunctionCallCreationResult = new Fe.AllocationFunctionCallCreationResult { FunctionCallId = key, AllocationFunctionCallId = key, Status = status },
                },
                _options.FunctionExecutorRpcTimeout,
                _stop.Token);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.FailedPrecondition)
        {
            // The FE already finished the allocation; nothing to tell it.
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException)
        {
            LogUpdateFailed(_logger, _spec.AllocationId, ex.Message);
        }
    }

    /// <summary>Retries retriable Server errors with upstream's jittered exponential backoff, within the retry budget (5 min by default).</summary>
    private async Task CallFunctionWithRetriesAsync(FunctionCallRequestSpec request)
    {
        var budget = Stopwatch.StartNew();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _server.CallFunctionAsync(request, _options.FunctionExecutorRpcTimeout, _stop.Token);
                return;
            }
            catch (ServerRpcException ex) when (ex.Retriable)
            {
                var delay = TimeSpan.FromSeconds(Math.Min(2 * Math.Pow(2, attempt), 60) * (0.5 + Random.Shared.NextDouble()));
                var left = _options.CallFunctionRetryBudget - budget.Elapsed;
                if (left <= TimeSpan.Zero)
                {
                    throw;
                }

                LogCallFunctionRetry(_logger, _spec.AllocationId, attempt, ex.Message);
                await Task.Delay(delay < left ? delay : left, _time, _stop.Token);
            }
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
                LogInvalidWatcher(_logger, _spec.AllocationId);
                continue;
            }

            seen.Add(id);
            if (_watchers.ContainsKey(id))
            {
                continue;
            }

            var watch = new FunctionCallWatch(_spec.Function.Namespace, _spec.Function.Application, _spec.RequestId, callId);
            _watchers[id] = new WatcherState(watch);
            _host.WatchAdded(this, id, watch);
            SignalWatchers();
        }

        foreach (var gone in _watchers.Keys.Where(k => !seen.Contains(k)).ToList())
        {
            _host.WatchRemoved(this, gone, _watchers[gone].Watch);
            _watchers.Remove(gone);
            SignalWatchers();
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
                var (value, blob) = await _blobs.ReadablePayloadAsync(result.ReturnValue, _stop.Token);
                update.ValueOutput = value;
                update.ValueBlob = blob;
            }

            if (result.RequestError is not null)
            {
                var (value, blob) = await _blobs.ReadablePayloadAsync(result.RequestError, _stop.Token);
                update.RequestErrorOutput = value;
                update.RequestErrorBlob = blob;
            }

            await _client.SendAllocationUpdateAsync(new Fe.AllocationUpdate { AllocationId = _spec.AllocationId, FunctionCallResult = update }, _options.FunctionExecutorRpcTimeout, _stop.Token);
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException or BlobStoreException or InvalidDataException)
        {
            LogUpdateFailed(_logger, _spec.AllocationId, ex.Message);
        }
        finally
        {
            // Either way the FE is no longer waiting on us: the timeout runs again.
            watcher.ResultSent = true;
            SignalWatchers();
        }
    }

    private void SignalWatchers()
    {
        var previous = _watchersChanged;
        _watchersChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        previous.TrySetResult();
    }

    private async Task HandleStateOperationAsync(Fe.AllocationRequestStateOperation operation)
    {
        if (!operation.HasOperationId || !_answeredStateOperations.Add(operation.OperationId))
        {
            return;
        }

        var uri = $"{_spec.RequestDataPayloadUriPrefix}/state/{RequestStateKey.Encode(operation.StateKey)}";
        var reply = new Fe.AllocationRequestStateOperationResult { OperationId = operation.OperationId, Status = new Google.Rpc.Status { Code = 0 } };
        try
        {
            switch (operation.OperationCase)
            {
                case Fe.AllocationRequestStateOperation.OperationOneofCase.PrepareRead:
                    reply.PrepareRead = new Fe.AllocationRequestStatePrepareReadOperationResult();
                    try
                    {
                        var size = await _blobs.Store.GetSizeAsync(uri, _stop.Token);
                        reply.PrepareRead.Blob = await _blobs.ReadableAsync(uri, size, _stop.Token);
                    }
                    catch (BlobNotFoundException)
                    {
                        reply.Status = new Google.Rpc.Status { Code = 5, Message = "State key not found." };
                    }

                    break;
                case Fe.AllocationRequestStateOperation.OperationOneofCase.PrepareWrite:
                    reply.PrepareWrite = new Fe.AllocationRequestStatePrepareWriteOperationResult();
                    var uploadId = await _blobs.Store.CreateMultipartUploadAsync(uri, _stop.Token);
                    _stateWrites[operation.OperationId] = new PendingUpload(uri, uploadId);
                    reply.PrepareWrite.Blob = await _blobs.WritableAsync(operation.OperationId, uri, uploadId, (long)operation.PrepareWrite.Size, _stop.Token);
                    break;
                case Fe.AllocationRequestStateOperation.OperationOneofCase.CommitWrite:
                    reply.CommitWrite = new Fe.AllocationRequestStateCommitWriteOperationResult();
                    var blob = operation.CommitWrite.Blob;
                    if (blob is null || !blob.HasId || !_stateWrites.TryGetValue(blob.Id, out var write) || write.UploadId is null)
                    {
                        reply.Status = new Google.Rpc.Status { Code = 5, Message = "No pending write for this BLOB." };
                        break;
                    }

                    // Forgotten only once completed: a failed completion stays pending and is aborted at exit.
                    await _blobs.Store.CompleteMultipartUploadAsync(write.Uri, write.UploadId, BlobMessages.ETags(blob), _stop.Token);
                    _stateWrites.Remove(blob.Id);
                    break;
                default:
                    reply.Status = new Google.Rpc.Status { Code = 13, Message = "Unknown request state operation." };
                    break;
            }
        }
        catch (Exception ex) when (ex is BlobStoreException or IOException or InvalidOperationException)
        {
            LogStateOperationFailed(_logger, _spec.AllocationId, operation.OperationId, ex.Message);
            reply.Status = new Google.Rpc.Status { Code = 13, Message = "Request state operation failed." };
        }

        await SendUpdateAsync(new Fe.AllocationUpdate { AllocationId = _spec.AllocationId, RequestStateOperationResult = reply });
    }

    /// <summary>Completes a pending output BLOB with the FE's ETags; null when the id names no pending output BLOB.</summary>
    private async Task<string?> CompleteOutputBlobAsync(Fe.BLOB blob)
    {
        if (!blob.HasId || !_outputBlobs.TryGetValue(blob.Id, out var upload) || upload.UploadId is null)
        {
            return null;
        }

        // Forgotten only once completed: if completion fails the upload stays pending and is aborted at exit.
        await _blobs.Store.CompleteMultipartUploadAsync(upload.Uri, upload.UploadId, BlobMessages.ETags(blob), _stop.Token);
        _outputBlobs.Remove(blob.Id);
        return upload.Uri;
    }

    /// <summary>Sends a reply of the state loop; FAILED_PRECONDITION means the FE already finished the allocation, so nobody waits for it.</summary>
    private async Task SendUpdateAsync(Fe.AllocationUpdate update)
    {
        try
        {
            await _client.SendAllocationUpdateAsync(update, _options.FunctionExecutorRpcTimeout, _stop.Token);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.FailedPrecondition)
        {
            LogUpdateFailed(_logger, _spec.AllocationId, ex.Status.Detail);
        }
    }

    private async Task<AllocationRunResult> FinalizeAsync(Fe.AllocationResult result, ulong duration)
    {
        var finalizing = Stopwatch.GetTimestamp();
        _metrics.Finalizations.Add(1);
        _metrics.FinalizingChanged(1);
        StopCountingAsRunning();
        try
        {
            var (outcome, reason) = FunctionExecutorMapping.MapOutcome(result);
            DataPayloadRef? value = null;
            CallGraph? updates = null;
            string? outputsUri = null;
            if (result.UploadedFunctionOutputsBlob is { } outputs)
            {
                outputsUri = await CompleteOutputBlobAsync(outputs);
                if (outputsUri is null)
                {
                    LogUnknownOutputsBlob(_logger, _spec.AllocationId);
                    return Fail(AllocationFailureReason.FunctionError, terminate: null, duration);
                }
            }

            if (result.OutputsCase == Fe.AllocationResult.OutputsOneofCase.Value)
            {
                if (outputsUri is null)
                {
                    LogUnknownOutputsBlob(_logger, _spec.AllocationId);
                    return Fail(AllocationFailureReason.FunctionError, terminate: null, duration);
                }

                value = FunctionExecutorMapping.ToPayload(result.Value, outputsUri);
            }
            else if (result.OutputsCase == Fe.AllocationResult.OutputsOneofCase.Updates)
            {
                updates = FunctionExecutorMapping.ToCallGraph(result.Updates, outputsUri, out var error);
                if (updates is null || result.Updates.CalculateSize() > MaxFunctionCallBytes || FunctionExecutorMapping.CountItems(updates) > MaxFunctionCallItems)
                {
                    LogInvalidTailCall(_logger, _spec.AllocationId, error ?? "over 1 MiB or 1000 items");
                    return Fail(AllocationFailureReason.FunctionError, terminate: null, duration);
                }
            }

            DataPayloadRef? requestError = null;
            if (result.RequestErrorOutput is not null && _requestErrorUpload is { UploadId: not null } errorUpload)
            {
                await _blobs.Store.CompleteMultipartUploadAsync(errorUpload.Uri, errorUpload.UploadId, result.UploadedRequestErrorBlob is null ? [] : BlobMessages.ETags(result.UploadedRequestErrorBlob), _stop.Token);
                _requestErrorUpload = null;
                requestError = FunctionExecutorMapping.ToPayload(result.RequestErrorOutput, errorUpload.Uri);
            }

            if (outcome == OutcomeCode.Failure)
            {
                _metrics.RunErrors.Add(1);
            }

            if (outcome == OutcomeCode.Unknown)
            {
                LogUnknownOutcome(_logger, _spec.AllocationId);
            }

            var built = new AllocationOutcome
            {
                AllocationId = _spec.AllocationId,
                FunctionExecutorId = _spec.FunctionExecutorId,
                Function = _spec.Function,
                FunctionCallId = _spec.FunctionCallId,
                RequestId = _spec.RequestId,
                Outcome = outcome == OutcomeCode.Unknown ? OutcomeCode.Failure : outcome,
                FailureReason = outcome == OutcomeCode.Unknown ? AllocationFailureReason.Unknown : reason,
                Value = value,
                Updates = updates,
                RequestError = requestError,
                ExecutionDurationMs = duration,
            };
            return new AllocationRunResult(built, null, Failed: built.Outcome == OutcomeCode.Failure);
        }
        catch (Exception ex) when (_stopReason == AllocationStopReason.None && ex is not OperationCanceledException)
        {
            _metrics.FinalizationErrors.Add(1);
            LogFinalizationFailed(_logger, ex, _spec.AllocationId);
            return Fail(AllocationFailureReason.InternalError, terminate: null, duration);
        }
        finally
        {
            _metrics.FinalizingChanged(-1);
            _metrics.FinalizationLatency.Record(Stopwatch.GetElapsedTime(finalizing).TotalSeconds);
        }
    }

    private AllocationRunResult TimedOut()
    {
        LogTimedOut(_logger, _spec.AllocationId, _timeoutMs);
        _metrics.RunErrors.Add(1);
        return Fail(AllocationFailureReason.FunctionTimeout, FunctionExecutorTerminationReason.FunctionTimeout);
    }

    private AllocationRunResult StoppedResult() => _stopReason switch
    {
        // Only an allocation the FE may still be running costs the FE (the protocol cannot stop one allocation);
        // cancelled while preparing or finalizing is ALLOCATION_CANCELLED too (upstream: INTERNAL_ERROR).
        AllocationStopReason.Cancelled => new AllocationRunResult(
            Outcome(AllocationFailureReason.AllocationCancelled, DurationOrNull()),
            HasStarted && !_finishedOnFunctionExecutor ? FunctionExecutorTerminationReason.FunctionCancelled : null,
            Failed: false),
        AllocationStopReason.FunctionExecutorFailed => new AllocationRunResult(Outcome(_stopFailure, DurationOrNull()), null, Failed: true),
        _ => new AllocationRunResult(null, null, Failed: false),
    };

    private AllocationRunResult Fail(AllocationFailureReason reason, FunctionExecutorTerminationReason? terminate, ulong? duration = null) =>
        new(Outcome(reason, duration ?? DurationOrNull()), terminate, Failed: true);

    private AllocationOutcome Outcome(AllocationFailureReason reason, ulong? duration) => AllocationOutcome.Failed(_spec, reason, duration);

    private ulong? DurationOrNull() => HasStarted ? DurationMs() : null;

    private ulong DurationMs() => _startedAt is { } started ? (ulong)Math.Ceiling(_time.GetElapsedTime(started).TotalMilliseconds) : 0;

    /// <summary>Aborts every upload still pending (upstream leaks them on cancellation) and drops watches.</summary>
    private void StopCountingAsRunning()
    {
        if (_countedAsRunning)
        {
            _countedAsRunning = false;
            _metrics.RunningChanged(-1);
        }
    }

    /// <summary>delete_allocation for an allocation the FE finished; a termination reason when the FE did not answer it.</summary>
    private async Task<FunctionExecutorTerminationReason?> DeleteOnFunctionExecutorAsync()
    {
        if (!_finishedOnFunctionExecutor || _deletedOnFunctionExecutor || _cleanupStop.IsCancellationRequested)
        {
            return null;
        }

        try
        {
            await _client.DeleteAllocationAsync(_spec.AllocationId, _options.FunctionExecutorRpcTimeout, _cleanupStop.Token);
            _deletedOnFunctionExecutor = true;
            return null;
        }
        catch (Exception) when (_cleanupStop.IsCancellationRequested)
        {
            // The FE is going away (failed, removed, or the executor stops): nothing left to delete.
            return null;
        }
        catch (RpcException ex)
        {
            LogDeleteFailed(_logger, _spec.AllocationId, ex.StatusCode.ToString(), ex.Status.Detail);
            return FunctionExecutorTerminationReason.Unhealthy;
        }
    }

    private async Task CleanupAsync()
    {
        StopCountingAsRunning();
        _stop.Cancel();
        foreach (var (id, watcher) in _watchers)
        {
            _host.WatchRemoved(this, id, watcher.Watch);
        }

        _watchers.Clear();
        try
        {
            await Task.WhenAll(_backgroundUpdates);
        }
        catch (Exception ex)
        {
            LogUpdateFailed(_logger, _spec.AllocationId, ex.Message);
        }

        var uploads = _outputBlobs.Values.Concat(_stateWrites.Values).Append(_requestErrorUpload).Where(u => u?.UploadId is not null).ToList();
        foreach (var upload in uploads)
        {
            try
            {
                using var timeout = new CancellationTokenSource(_options.FunctionExecutorRpcTimeout);
                await _blobs.Store.AbortMultipartUploadAsync(upload!.Uri, upload.UploadId!, timeout.Token);
            }
            catch (Exception ex) when (ex is BlobStoreException or IOException or OperationCanceledException or UnauthorizedAccessException)
            {
                LogAbortFailed(_logger, upload!.Uri, ex.Message);
            }
        }

        _finished = true;
        _stop.Dispose();
        _cleanupStop.Dispose();
    }

    private sealed record PendingUpload(string Uri, string? UploadId);

    private sealed class WatcherState(FunctionCallWatch watch)
    {
        public FunctionCallWatch Watch { get; } = watch;

        public bool Delivering { get; set; }

        public bool ResultSent { get; set; }
    }

    [LoggerMessage(1, LogLevel.Error, "allocation {AllocationId}: preparing inputs failed: {Reason}")]
    private static partial void LogPreparationFailed(ILogger logger, string allocationId, string reason);

    [LoggerMessage(2, LogLevel.Warning, "allocation {AllocationId}: an FE RPC exceeded its deadline; treating it as a timeout")]
    private static partial void LogRpcTimeout(ILogger logger, string allocationId);

    [LoggerMessage(3, LogLevel.Error, "allocation {AllocationId}: FE RPC failed ({StatusCode}: {Detail}); the FE is in an undefined state")]
    private static partial void LogUndefinedState(ILogger logger, string allocationId, string statusCode, string detail);

    [LoggerMessage(4, LogLevel.Error, "allocation {AllocationId}: unexpected executor error")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string allocationId);

    [LoggerMessage(5, LogLevel.Information, "allocation {AllocationId} stopped ({Reason}, {Exception})")]
    private static partial void LogStopped(ILogger logger, string allocationId, string reason, string exception);

    [LoggerMessage(6, LogLevel.Warning, "allocation {AllocationId}: state stream ended without a result")]
    private static partial void LogStreamEndedWithoutResult(ILogger logger, string allocationId);

    [LoggerMessage(7, LogLevel.Warning, "allocation {AllocationId}: invalid output BLOB request {BlobId}")]
    private static partial void LogInvalidOutputBlobRequest(ILogger logger, string allocationId, string blobId);

    [LoggerMessage(8, LogLevel.Error, "allocation {AllocationId}: creating output BLOB {BlobId} failed: {Reason}")]
    private static partial void LogOutputBlobFailed(ILogger logger, string allocationId, string blobId, string reason);

    [LoggerMessage(9, LogLevel.Warning, "allocation {AllocationId}: invalid function call {Key}")]
    private static partial void LogInvalidFunctionCall(ILogger logger, string allocationId, string key);

    [LoggerMessage(10, LogLevel.Error, "allocation {AllocationId}: function call {Key} failed: {Reason}")]
    private static partial void LogFunctionCallFailed(ILogger logger, string allocationId, string key, string reason);

    [LoggerMessage(11, LogLevel.Warning, "allocation {AllocationId}: sending an update to the FE failed: {Reason}")]
    private static partial void LogUpdateFailed(ILogger logger, string allocationId, string reason);

    [LoggerMessage(12, LogLevel.Warning, "allocation {AllocationId}: call_function attempt {Attempt} failed ({Reason}); retrying")]
    private static partial void LogCallFunctionRetry(ILogger logger, string allocationId, int attempt, string reason);

    [LoggerMessage(13, LogLevel.Warning, "allocation {AllocationId}: invalid function call watcher")]
    private static partial void LogInvalidWatcher(ILogger logger, string allocationId);

    [LoggerMessage(14, LogLevel.Error, "allocation {AllocationId}: request state operation {OperationId} failed: {Reason}")]
    private static partial void LogStateOperationFailed(ILogger logger, string allocationId, string operationId, string reason);

    [LoggerMessage(15, LogLevel.Error, "allocation {AllocationId}: result names an outputs BLOB that was never requested")]
    private static partial void LogUnknownOutputsBlob(ILogger logger, string allocationId);

    [LoggerMessage(16, LogLevel.Error, "allocation {AllocationId}: invalid tail call: {Reason}")]
    private static partial void LogInvalidTailCall(ILogger logger, string allocationId, string reason);

    [LoggerMessage(17, LogLevel.Warning, "allocation {AllocationId}: FE reported outcome UNKNOWN; reporting FAILURE")]
    private static partial void LogUnknownOutcome(ILogger logger, string allocationId);

    [LoggerMessage(18, LogLevel.Error, "allocation {AllocationId}: finalization failed")]
    private static partial void LogFinalizationFailed(ILogger logger, Exception exception, string allocationId);

    [LoggerMessage(19, LogLevel.Warning, "allocation {AllocationId} timed out after {TimeoutMs} ms")]
    private static partial void LogTimedOut(ILogger logger, string allocationId, uint timeoutMs);

    [LoggerMessage(21, LogLevel.Warning, "allocation {AllocationId}: the FE's state stream broke ({Detail}); reopening it (attempt {Attempt})")]
    private static partial void LogWatchReopened(ILogger logger, string allocationId, int attempt, string detail);

    [LoggerMessage(22, LogLevel.Error, "allocation {AllocationId}: delete_allocation failed after the outcome ({StatusCode}: {Detail}); the FE is in an undefined state")]
    private static partial void LogDeleteFailed(ILogger logger, string allocationId, string statusCode, string detail);

    [LoggerMessage(20, LogLevel.Warning, "aborting multipart upload {Uri} failed: {Reason}")]
    private static partial void LogAbortFailed(ILogger logger, string uri, string reason);
}

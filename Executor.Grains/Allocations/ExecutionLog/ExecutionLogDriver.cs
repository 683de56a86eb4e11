using System.Runtime.ExceptionServices;
using Executor.FunctionExecutors;
using Executor.Model;
using Grpc.Core;
using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.Allocations.ExecutionLog;

/// <summary>
/// FE protocol 0.1.3 (tensorlake 0.4.32 and later): three concurrent loops per allocation. The state stream carries
/// output-BLOB and request-state requests and progress; the execution log (get → process → advance, one batch at a
/// time) carries function calls, watchers and the finish; the event log answers the FE's reads with what the
/// executor has to tell it (call created, watcher created, watcher result). The allocation is deleted on the FE only
/// after its state stream ended, which is when the FE is ready to forget it.
/// </summary>
public sealed class ExecutionLogDriver : IAllocationDriver
{
    private const int MaxGetRetries = 3;

    private readonly AllocationContext _context;
    private readonly AllocationDeadline _deadline;
    private readonly OutputBlobRequests _outputBlobs;
    private readonly RequestStateOperations _requestState;
    private readonly ExecutionLogProcessor _processor;
    private readonly EventLogReadResponder _responder;
    private readonly CancellationTokenSource _reads;
    private readonly TaskCompletionSource<Exception> _loopFailed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _stateLoop = Task.CompletedTask;
    private Task _readsLoop = Task.CompletedTask;
    private Task _executionLoop = Task.CompletedTask;
    private Task _finishAdvance = Task.CompletedTask;
    private bool _finished;

    public ExecutionLogDriver(AllocationContext context, AllocationDeadline deadline, OutputBlobRequests outputBlobs, RequestStateOperations requestState, FunctionCallForwarder forwarder)
    {
        _context = context;
        _deadline = deadline;
        _outputBlobs = outputBlobs;
        _requestState = requestState;
        var log = new AllocationEventLog();
        _processor = new ExecutionLogProcessor(context.AllocationId, log, new ChildCalls(context, forwarder), deadline, context.Time, context.Logger);
        _responder = new EventLogReadResponder(context, log);
        _reads = CancellationTokenSource.CreateLinkedTokenSource(context.Stopping);
    }

    public async Task<AllocationFinish?> RunAsync()
    {
        _deadline.Start();
        _stateLoop = FailRunOnErrorAsync(FollowStateAsync());
        _readsLoop = FailRunOnErrorAsync(_responder.RunAsync(_reads.Token));
        var execution = FollowExecutionLogAsync();
        _executionLoop = execution;
        var first = Task.WhenAny(execution, _loopFailed.Task);
        if (!await _deadline.WaitAsync(first))
        {
            return null;
        }

        if (await first != execution)
        {
            ExceptionDispatchInfo.Throw(await _loopFailed.Task);
        }

        var finish = await execution;

        // The FE stops reading once it finished the allocation: nothing more to answer.
        _finished = true;
        await _reads.CancelAsync();
        return finish;
    }

    public void DeliverResult(string watcherId, FunctionCallResultSpec result) => _processor.DeliverResult(watcherId, result);

    public async Task DeleteAsync(CancellationToken cancellationToken)
    {
        await QuietlyAsync(_finishAdvance);

        // The FE refuses to delete (FAILED_PRECONDITION) until its runner fully finished, which ends the state stream.
        using (var patience = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            var waited = Task.Delay(_context.Options.FunctionExecutorRpcTimeout, _context.Time, patience.Token);
            await Task.WhenAny(_stateLoop, waited);
            await patience.CancelAsync();
            cancellationToken.ThrowIfCancellationRequested();
        }

        var started = _context.Time.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _context.Client.DeleteAllocationAsync(_context.AllocationId, _context.Options.FunctionExecutorRpcTimeout, cancellationToken);
                return;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
            {
                // Already forgotten.
                return;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.FailedPrecondition && _context.Time.GetElapsedTime(started) < _context.Options.FunctionExecutorRpcTimeout)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(20 * attempt, 200)), _context.Time, cancellationToken);
            }
        }
    }

    public async Task CloseAsync()
    {
        await _reads.CancelAsync();
        await _processor.CloseAsync();
        foreach (var loop in new[] { _executionLoop, _stateLoop, _readsLoop, _finishAdvance })
        {
            await QuietlyAsync(loop);
        }

        _reads.Dispose();
    }

    /// <summary>get → process → advance, one batch at a time, until the finish (or the FE ends the log without one).</summary>
    private async Task<AllocationFinish> FollowExecutionLogAsync()
    {
        var client = _context.Client;
        while (true)
        {
            var batch = await GetBatchAsync();
            if (batch.Events.Count == 0)
            {
                AllocationLog.ExecutionLogEndedWithoutFinish(_context.Logger, _context.AllocationId);
                return AllocationFinish.WithoutResult();
            }

            AllocationFinish? finish;
            _deadline.Hold();
            try
            {
                finish = await _processor.ProcessAsync(batch.Events);
            }
            finally
            {
                _deadline.Release();
            }

            if (finish is not null)
            {
                // Keeps the FE's log consistent but is not on the result's path, nor needed for it to finish.
                _finishAdvance = AdvanceFinishBatchAsync();
                return finish;
            }

            // Exactly once per processed batch: a second advance would drop the next batch unseen. An advance lost in the
            // transport is not repeated: the next get shows whether it happened (the same batch comes back as a repeat,
            // which the processor skips, and is advanced again).
            try
            {
                await client.AdvanceExecutionLogBatchAsync(_context.AllocationId, _context.Options.FunctionExecutorRpcTimeout, _context.Stopping);
            }
            catch (RpcException ex) when (!_context.Stopping.IsCancellationRequested && FunctionExecutorClient.IsTransportFailure(ex))
            {
                AllocationLog.ExecutionLogAdvanceUncertain(_context.Logger, _context.AllocationId, ex.Status.Detail);
            }
        }
    }

    /// <summary>The current batch; a get lost in the transport is made again (the FE returns the same batch until it is advanced).</summary>
    private async Task<Fe.GetAllocationExecutionLogBatchResponse> GetBatchAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await _context.Client.GetExecutionLogBatchAsync(_context.AllocationId, _context.Stopping);
            }
            catch (RpcException ex) when (!_context.Stopping.IsCancellationRequested && FunctionExecutorClient.IsTransportFailure(ex) && attempt <= MaxGetRetries)
            {
                AllocationLog.ExecutionLogGetRetried(_context.Logger, _context.AllocationId, attempt, ex.Status.Detail);
                await Task.Delay(TimeSpan.FromMilliseconds(50 * attempt), _context.Time, _context.Stopping);
            }
        }
    }

    private async Task AdvanceFinishBatchAsync()
    {
        try
        {
            await _context.Client.AdvanceExecutionLogBatchAsync(_context.AllocationId, _context.Options.FunctionExecutorRpcTimeout, _context.Stopping);
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException)
        {
            AllocationLog.UpdateFailed(_context.Logger, _context.AllocationId, ex.Message);
        }
    }

    /// <summary>Answers output-BLOB and request-state requests and restarts the timeout on progress, until the FE ends the stream.</summary>
    private async Task FollowStateAsync()
    {
        using var stream = new AllocationStateStream(_context);
        while (await stream.NextAsync() is { } state)
        {
            // Our own work on the function's behalf does not count against its time.
            _deadline.Hold();
            try
            {
                await _outputBlobs.AnswerAsync(state.OutputBlobRequests);
                await _requestState.AnswerAsync(state.RequestStateOperations);
            }
            finally
            {
                _deadline.Release();
            }

            if (_deadline.OnProgress(state.Progress))
            {
                _context.Metrics.ProgressUpdates.Add(1);
            }
        }
    }

    /// <summary>A loop that fails before the finish fails the run (the FE is then in an undefined state); after it, it is only logged.</summary>
    private async Task FailRunOnErrorAsync(Task loop)
    {
        try
        {
            await loop;
        }
        catch (Exception ex) when (!_finished)
        {
            _loopFailed.TrySetResult(ex);
        }
    }

    private async Task QuietlyAsync(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            AllocationLog.UpdateFailed(_context.Logger, _context.AllocationId, ex.Message);
        }
        catch (OperationCanceledException)
        {
            // Ended by the run's stop.
        }
    }
}

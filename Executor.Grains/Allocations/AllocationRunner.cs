using System.Diagnostics;
using Executor.Allocations.ExecutionLog;
using Executor.Configuration;
using Executor.FunctionExecutors;
using Executor.Model;
using Executor.Server;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.Allocations;

/// <summary>
/// Runs one allocation on its FE: prepares inputs, creates it, lets the FE protocol's driver run it to its finish
/// (0.1.2: the allocation state; 0.1.3: state, execution log and event log), then finalizes the uploads and builds
/// the outcome, hands it over, deletes the allocation on the FE and cleans up. It runs on its grain's scheduler, so
/// it never races the grain, and only awaits I/O (never blocks a turn).
/// </summary>
public sealed class AllocationRunner
{
    /// <summary>How long a run that lost its FE's connection waits for the FE's process to be seen ending (its output drain is bounded by 1 s).</summary>
    private static readonly TimeSpan DeadProcessEndWait = TimeSpan.FromSeconds(2);

    private readonly AllocationSpec _spec;
    private readonly uint _timeoutMs;
    private readonly FunctionExecutorClient _client;
    private readonly ExecutorOptions _options;
    private readonly IAllocationHost _host;
    private readonly AllocationMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();

    // Ends the FE-side cleanup after the outcome (delete_allocation) when the FE goes away; a cancellation does not.
    private readonly CancellationTokenSource _cleanupStop = new();
    private readonly AllocationContext _context;
    private readonly AllocationUploads _uploads;
    private readonly AllocationOutcomeBuilder _outcomes;
    private readonly IAllocationDriver _driver;
    private AllocationStopReason _stopReason;
    private bool _countedAsRunning;
    private AllocationFailureReason _stopFailure;
    private long? _startedAt;
    private bool _deletedOnFunctionExecutor;
    private bool _finishedOnFunctionExecutor;
    private bool _finished;

    public AllocationRunner(
        AllocationSpec spec,
        uint timeoutMs,
        FunctionExecutorClient client,
        BlobMessages blobs,
        IServerConnection server,
        ExecutorOptions options,
        IAllocationHost host,
        AllocationMetrics metrics,
        ILogger logger,
        TimeProvider time,
        FunctionExecutorProtocol protocol = FunctionExecutorProtocol.AllocationState)
    {
        _spec = spec;
        _timeoutMs = timeoutMs;
        _client = client;
        _options = options;
        _host = host;
        _metrics = metrics;
        _logger = logger;
        _time = time;
        _context = new AllocationContext
        {
            Run = this,
            Spec = spec,
            Client = client,
            Blobs = blobs,
            Server = server,
            Options = options,
            Host = host,
            Metrics = metrics,
            Logger = logger,
            Time = time,
            Stopping = _stop.Token,
        };
        _uploads = new AllocationUploads(_context);
        _outcomes = new AllocationOutcomeBuilder(_context, _uploads);
        var deadline = new AllocationDeadline(TimeSpan.FromMilliseconds(timeoutMs), time);
        var outputBlobs = new OutputBlobRequests(_context, _uploads);
        var requestState = new RequestStateOperations(_context, _uploads);
        var forwarder = new FunctionCallForwarder(_context, _uploads);
        _driver = protocol == FunctionExecutorProtocol.ExecutionLog
            ? new ExecutionLogDriver(_context, deadline, outputBlobs, requestState, forwarder)
            : new AllocationStateDriver(_context, deadline, outputBlobs, requestState, forwarder);
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

    /// <summary>Delivers a watched call's result to the FE, at most once per watcher.</summary>
    public void DeliverResult(string watcherId, FunctionCallResultSpec result)
    {
        if (!_finished)
        {
            _driver.DeliverResult(watcherId, result);
        }
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
            AllocationLog.Stopped(_logger, _spec.AllocationId, _stopReason.ToString(), ex.GetType().Name);
            result = StoppedResult();
        }
        catch (Exception ex)
        {
            AllocationLog.Unexpected(_logger, ex, _spec.AllocationId);
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
            inputs = await AllocationInputs.PrepareAsync(_context, _uploads, _stop.Token);
            _metrics.Preparations.Add(1);
        }
        catch (Exception ex) when (_stopReason == AllocationStopReason.None)
        {
            _metrics.Preparations.Add(1);
            _metrics.PreparationErrors.Add(1);
            AllocationLog.PreparationFailed(_logger, _spec.AllocationId, ex.Message);
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
            AllocationLog.Stopped(_logger, _spec.AllocationId, _stopReason.ToString(), "before start");
            return StoppedResult();
        }

        // 2. Create and let the protocol driver run it to its finish.
        _startedAt = _time.GetTimestamp();
        _metrics.Runs.Add(1);
        _metrics.RunningChanged(1);
        _countedAsRunning = true;
        AllocationFinish? finish;
        try
        {
            await _client.CreateAllocationAsync(
                new Fe.Allocation { RequestId = _spec.RequestId, FunctionCallId = _spec.FunctionCallId, AllocationId = _spec.AllocationId, Inputs = inputs },
                _options.FunctionExecutorRpcTimeout,
                _stop.Token);
            finish = await _driver.RunAsync();
            if (finish is null)
            {
                return TimedOut();
            }

            if (finish.EndedWithoutResult)
            {
                // No result from the FE: it may have died under the allocation, which a delete it cannot answer reveals
                // (the allocation then fails as the FE's failure, OOM included). A real result is deleted after the hand-over.
                await _driver.DeleteAsync(_stop.Token);
                _deletedOnFunctionExecutor = true;
            }

            _finishedOnFunctionExecutor = true;
        }
        catch (RpcException ex) when (_stopReason == AllocationStopReason.None && ex.StatusCode == StatusCode.DeadlineExceeded)
        {
            AllocationLog.RpcTimeout(_logger, _spec.AllocationId);
            return TimedOut();
        }
        catch (RpcException ex) when (_stopReason == AllocationStopReason.None)
        {
            // The FE is in an undefined state: fail the allocation and replace the FE.
            _metrics.RunErrors.Add(1);
            AllocationLog.UndefinedState(_logger, _spec.AllocationId, ex.StatusCode.ToString(), ex.Status.Detail);
            if (FunctionExecutorClient.IsTransportFailure(ex))
            {
                // A killed FE's connections break before its end is seen (its last output is read, it is reaped), and only
                // its end tells an OOM kill apart: wait for it a moment, or the allocation and FE would not say OOM.
                await _host.WaitForProcessEndAsync(DeadProcessEndWait);
            }

            var failure = _host.FailureReasonForDeadExecutor;
            return Fail(failure, failure == AllocationFailureReason.Oom ? FunctionExecutorTerminationReason.Oom : FunctionExecutorTerminationReason.Unhealthy);
        }
        catch (Exception ex) when (_stopReason == AllocationStopReason.None)
        {
            // As upstream: anything unexpected while following the FE leaves it running an allocation we no longer
            // follow, so the allocation fails and the FE is replaced rather than left with an orphan.
            _metrics.RunErrors.Add(1);
            AllocationLog.Unexpected(_logger, ex, _spec.AllocationId);
            return Fail(AllocationFailureReason.FunctionError, FunctionExecutorTerminationReason.Unhealthy);
        }

        // 3. Finalize uploads and build the outcome.
        return await FinalizeAsync(finish, DurationMs());
    }

    private async Task<AllocationRunResult> FinalizeAsync(AllocationFinish finish, ulong duration)
    {
        var finalizing = Stopwatch.GetTimestamp();
        _metrics.Finalizations.Add(1);
        _metrics.FinalizingChanged(1);
        StopCountingAsRunning();
        try
        {
            var outcome = await _outcomes.BuildAsync(finish, duration);
            return new AllocationRunResult(outcome, null, Failed: outcome.Outcome == OutcomeCode.Failure);
        }
        catch (Exception ex) when (_stopReason == AllocationStopReason.None && ex is not OperationCanceledException)
        {
            _metrics.FinalizationErrors.Add(1);
            AllocationLog.FinalizationFailed(_logger, ex, _spec.AllocationId);
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
        AllocationLog.TimedOut(_logger, _spec.AllocationId, _timeoutMs);
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
            await _driver.DeleteAsync(_cleanupStop.Token);
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
            AllocationLog.DeleteFailed(_logger, _spec.AllocationId, ex.StatusCode.ToString(), ex.Status.Detail);
            return FunctionExecutorTerminationReason.Unhealthy;
        }
    }

    /// <summary>Ends the driver (its watches withdrawn) and aborts every upload still pending (upstream leaks them on cancellation).</summary>
    private async Task CleanupAsync()
    {
        StopCountingAsRunning();
        _stop.Cancel();
        await _driver.CloseAsync();
        await _uploads.AbortAllAsync();
        _finished = true;
        _stop.Dispose();
        _cleanupStop.Dispose();
    }
}

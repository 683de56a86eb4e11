using System.Diagnostics;
using Executor.Configuration;
using Executor.Grains;
using Executor.Logging;
using Executor.Metrics;
using Executor.Model;
using Executor.Server;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace Executor.Reconciliation;

/// <summary>
/// Registration, state reports and reconciliation. Holds what the Server must hear about (FE states,
/// unacknowledged results, watches) and decides what each FunctionExecutorGrain must do. All I/O runs in
/// the IServerConnection adapter and the DesiredStatePump; this grain only awaits them.
/// </summary>
[CollectionAgeLimit(AlwaysActive = true)]
public sealed partial class ExecutorGrain : Grain, IExecutorGrain
{
    private readonly IServerConnection _server;
    private readonly DesiredStatePump _pump;
    private readonly ServerSessionSignals _signals;
    private readonly ServerChannelHealth _health;
    private readonly ExecutorIdentity _identity;
    private readonly IHostCapacitySource _capacity;
    private readonly ExecutorOptions _options;
    private readonly ReconcilerMetrics _metrics;
    private readonly ILogger _logger;

    private readonly OrderedDictionary<string, FunctionExecutorState> _feStates = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FunctionExecutorStatus> _lastLiveStatus = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _feSequence = new(StringComparer.Ordinal);
    private readonly HashSet<string> _functionExecutors = new(StringComparer.Ordinal);
    private readonly HashSet<string> _shuttingDown = new(StringComparer.Ordinal);
    private readonly OrderedDictionary<string, AllocationOutcome> _pendingResults = new(StringComparer.Ordinal);
    private readonly Dictionary<string, AllocationSpec> _activeAllocations = new(StringComparer.Ordinal);
    private readonly HashSet<string> _cancelling = new(StringComparer.Ordinal);
    private readonly FinishedAllocations _finishedAllocations;
    private readonly Dictionary<FunctionCallWatch, int> _watches = [];
    private readonly Dictionary<string, Dictionary<string, int>> _watchingExecutors = new(StringComparer.Ordinal);

    private ExecutorStatus _status = ExecutorStatus.StartingUp;
    private bool _registered;
    private bool _stopping;
    private ulong _serverClock;
    private long _changes;
    private DesiredState? _lastDesired;
    private readonly HashSet<string> _terminationReported = new(StringComparer.Ordinal);
    private long _desiredStatesApplied;
    private IGrainTimer? _reportTimer;
    private TimeSpan _reportInterval;
    private bool _reportInFlight;
    private bool _reportRequested;
    private Task _reporting = Task.CompletedTask;
    private TaskCompletionSource? _allExecutorsRemoved;

    public ExecutorGrain(
        IServerConnection server,
        DesiredStatePump pump,
        ServerSessionSignals signals,
        ServerChannelHealth health,
        ExecutorIdentity identity,
        IHostCapacitySource capacity,
        IOptions<ExecutorOptions> options,
        ReconcilerMetrics metrics,
        ILogger<ExecutorGrain> logger,
        TimeProvider time)
    {
        _finishedAllocations = new FinishedAllocations(time, options.Value.FinishedAllocationRetention, 200_000);
        _server = server;
        _pump = pump;
        _signals = signals;
        _health = health;
        _identity = identity;
        _capacity = capacity;
        _options = options.Value;
        _metrics = metrics;
        _logger = new ContextLogger(logger, LogContext.ForExecutor(identity.ExecutorId));
        _reportInterval = _options.ReportInterval;
    }

    public Task StartAsync()
    {
        if (_status != ExecutorStatus.StartingUp)
        {
            return Task.CompletedTask;
        }

        // Upstream never sends STARTING_UP: the first report already says RUNNING.
        _status = ExecutorStatus.Running;
        _reportTimer = this.RegisterGrainTimer(
            static (self, _) => self.OnReportTimerAsync(),
            this,
            new GrainTimerCreationOptions { DueTime = _reportInterval, Period = _reportInterval, Interleave = true, KeepAlive = true });
        LogStarting(_logger, _identity.ExecutorId, _options.ServerAddress);
        TriggerReport();
        return Task.CompletedTask;
    }

    public Task<ExecutorStatusView> GetStatusAsync() => Task.FromResult(new ExecutorStatusView
    {
        Status = _status,
        Registered = _registered,
        FunctionExecutors = _feStates.Count,
        PendingResults = _pendingResults.Count,
        ActiveAllocations = _activeAllocations.Count,
        ServerClock = _serverClock,
        DesiredStatesApplied = _desiredStatesApplied,
    });

    public Task RequestReportAsync()
    {
        TriggerReport();
        return Task.CompletedTask;
    }

    public Task ReapplyDesiredStateAsync() => _lastDesired is { } latest && !_stopping ? ApplyDesiredStateAsync(latest) : Task.CompletedTask;

    public async Task ApplyDesiredStateAsync(DesiredState desiredState)
    {
        if (_stopping)
        {
            return;
        }

        _lastDesired = desiredState;
        var started = Stopwatch.GetTimestamp();
        var changesBefore = _changes;
        try
        {
            await ReconcileAsync(desiredState);
            _metrics.StateReconciliations.Add(1);
        }
        catch (Exception ex)
        {
            _metrics.StateReconciliationErrors.Add(1);
            LogReconcileFailed(_logger, ex, desiredState.Clock);
        }
        finally
        {
            // Echoed whether or not reconciliation succeeded, as upstream: the Server only compares it.
            _serverClock = desiredState.Clock;
            _desiredStatesApplied++;
            _metrics.StateReconciliationLatency.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
            _metrics.SetLastDesiredState(desiredState.Allocations.Count, desiredState.FunctionExecutors.Count);

            // The new clock goes out with the next periodic report; only a change of what we report goes out at once.
            if (_changes != changesBefore)
            {
                TriggerReport();
            }
        }
    }

    private async Task ReconcileAsync(DesiredState desired)
    {
        var calls = new List<Task>();

        // 1. Function executors: new ids start (after step 2, with the allocations placed on them), vanished ids shut
        //    down. Descriptions are immutable.
        List<FunctionExecutorSpec>? starting = null;
        var desiredExecutorIds = new HashSet<string>(desired.FunctionExecutors.Count, StringComparer.Ordinal);
        foreach (var spec in desired.FunctionExecutors)
        {
            desiredExecutorIds.Add(spec.Id);
            if (_functionExecutors.Contains(spec.Id))
            {
                continue;
            }

            _functionExecutors.Add(spec.Id);
            if (_status == ExecutorStatus.Drained)
            {
                // A drained executor takes no new work; an FE it never starts must still be answered.
                SetState(new FunctionExecutorState { FunctionExecutorId = spec.Id, Status = FunctionExecutorStatus.Terminated, TerminationReason = FunctionExecutorTerminationReason.Unknown, TerminationMessage = "executor is drained" });
                continue;
            }

            SetState(new FunctionExecutorState { FunctionExecutorId = spec.Id, Status = FunctionExecutorStatus.Pending });
            (starting ??= []).Add(spec);
        }

        foreach (var id in _functionExecutors)
        {
            if (!desiredExecutorIds.Contains(id) && _shuttingDown.Add(id))
            {
                // Not awaited: stopping a process takes time and must not hold up the rest of this snapshot.
                // The FE grain confirms with a Removed update when it is gone.
                LogShuttingDownExecutor(_logger, id);
                _ = ShutdownFunctionExecutorAsync(id);
            }
        }

        // 2. Allocations: only new ids go to their FE; finished ones never run twice, even from a stale snapshot.
        var desiredAllocationIds = new HashSet<string>(desired.Allocations.Count + desired.RejectedAllocations.Count, StringComparer.Ordinal);
        Dictionary<string, List<AllocationSpec>>? added = null;
        foreach (var allocation in desired.Allocations)
        {
            desiredAllocationIds.Add(allocation.AllocationId);
            if (_finishedAllocations.Contains(allocation.AllocationId))
            {
                _finishedAllocations.Touch(allocation.AllocationId);
                continue;
            }

            if (_activeAllocations.ContainsKey(allocation.AllocationId))
            {
                continue;
            }

            var feId = allocation.FunctionExecutorId;
            if (!desiredExecutorIds.Contains(feId))
            {
                // Dropping it would leave the Server waiting for it forever: it fails like work of a vanished FE.
                _metrics.RejectedAllocations.Add(1);
                LogAllocationForUnknownExecutor(_logger, allocation.AllocationId, feId);
                AddResult(AllocationOutcome.Failed(allocation, AllocationFailureReason.FunctionExecutorTerminated));
                continue;
            }

            if (_shuttingDown.Contains(feId))
            {
                // Listed again while its old incarnation shuts down: this snapshot is reapplied once it is gone.
                continue;
            }

            if (_status == ExecutorStatus.Drained)
            {
                AddResult(AllocationOutcome.Failed(allocation, AllocationFailureReason.FunctionExecutorTerminated));
                continue;
            }

            _activeAllocations[allocation.AllocationId] = allocation;
            added ??= new Dictionary<string, List<AllocationSpec>>(StringComparer.Ordinal);
            if (!added.TryGetValue(feId, out var list))
            {
                added[feId] = list = [];
            }

            list.Add(allocation);
        }

        foreach (var rejected in desired.RejectedAllocations)
        {
            desiredAllocationIds.Add(rejected.AllocationId);
            if (!_finishedAllocations.Contains(rejected.AllocationId) && !_activeAllocations.ContainsKey(rejected.AllocationId))
            {
                AddResult(rejected);
            }
        }

        if (starting is not null)
        {
            foreach (var spec in starting)
            {
                List<AllocationSpec>? initial = null;
                added?.Remove(spec.Id, out initial);
                calls.Add(GrainFactory.GetGrain<IFunctionExecutorGrain>(spec.Id).StartAsync(spec, initial ?? []));
            }
        }

        if (added is not null)
        {
            foreach (var (feId, list) in added)
            {
                calls.Add(GrainFactory.GetGrain<IFunctionExecutorGrain>(feId).AddAllocationsAsync(list));
            }
        }

        // 3. Allocations the Server cancels but whose outcome it still wants: their FE cancels them and reports the
        //    outcome; one that never reached its FE is answered ALLOCATION_CANCELLED here.
        Dictionary<string, List<string>>? cancelled = null;
        foreach (var allocation in desired.CancelledAllocations)
        {
            var id = allocation.AllocationId;
            desiredAllocationIds.Add(id);
            if (_finishedAllocations.Contains(id))
            {
                _finishedAllocations.Touch(id);
                continue;
            }

            if (!_activeAllocations.TryGetValue(id, out var active))
            {
                AddResult(AllocationOutcome.Failed(allocation, AllocationFailureReason.AllocationCancelled));
                continue;
            }

            // An FE that is shutting down reports nothing; its Removed update answers for its allocations.
            if (_cancelling.Add(id) && !_shuttingDown.Contains(active.FunctionExecutorId))
            {
                AddTo(ref cancelled, active.FunctionExecutorId, id);
            }
        }

        if (cancelled is not null)
        {
            foreach (var (feId, ids) in cancelled)
            {
                calls.Add(GrainFactory.GetGrain<IFunctionExecutorGrain>(feId).RemoveAllocationsAsync(ids));
            }
        }

        // 4. Allocations that vanished are cancelled (their FE reports the outcome, or nothing if it is going away).
        Dictionary<string, List<string>>? removed = null;
        foreach (var (allocationId, allocation) in _activeAllocations)
        {
            if (!desiredAllocationIds.Contains(allocationId))
            {
                AddTo(ref removed, allocation.FunctionExecutorId, allocationId);
            }
        }

        if (removed is not null)
        {
            foreach (var (feId, ids) in removed)
            {
                foreach (var id in ids)
                {
                    Deactivate(id);
                    _finishedAllocations.Add(id);
                }

                if (!_shuttingDown.Contains(feId))
                {
                    calls.Add(GrainFactory.GetGrain<IFunctionExecutorGrain>(feId).RemoveAllocationsAsync(ids));
                }
            }
        }

        // 5. Function call results go to the FEs whose allocations watch them (each FE delivers once per watcher).
        Dictionary<string, List<FunctionCallResultSpec>>? deliveries = null;
        foreach (var result in desired.FunctionCallResults)
        {
            if (!result.IsDeliverable || !_watchingExecutors.TryGetValue(result.ResultKey, out var executors))
            {
                continue;
            }

            foreach (var feId in executors.Keys)
            {
                deliveries ??= new Dictionary<string, List<FunctionCallResultSpec>>(StringComparer.Ordinal);
                if (!deliveries.TryGetValue(feId, out var list))
                {
                    deliveries[feId] = list = [];
                }

                list.Add(result);
            }
        }

        if (deliveries is not null)
        {
            foreach (var (feId, results) in deliveries)
            {
                calls.Add(GrainFactory.GetGrain<IFunctionExecutorGrain>(feId).DeliverFunctionCallResultsAsync(results));
            }
        }

        // 6. Results of allocations the Server no longer lists are not needed any more (it has them, or dropped them).
        if (_pendingResults.Count > 0)
        {
            List<string>? stale = null;
            foreach (var id in _pendingResults.Keys)
            {
                if (!desiredAllocationIds.Contains(id))
                {
                    (stale ??= []).Add(id);
                }
            }

            stale?.ForEach(id => _pendingResults.Remove(id));
        }

        // Finished ids are only needed while the Server may still list them (stale snapshots included).
        _finishedAllocations.Prune(id => _pendingResults.ContainsKey(id) || desiredAllocationIds.Contains(id));

        await Task.WhenAll(calls);
    }

    private static void AddTo(ref Dictionary<string, List<string>>? byExecutor, string feId, string allocationId)
    {
        byExecutor ??= new Dictionary<string, List<string>>(StringComparer.Ordinal);
        if (!byExecutor.TryGetValue(feId, out var list))
        {
            byExecutor[feId] = list = [];
        }

        list.Add(allocationId);
    }

    private void Deactivate(string allocationId)
    {
        _activeAllocations.Remove(allocationId);
        _cancelling.Remove(allocationId);
    }

    public Task OnFunctionExecutorUpdateAsync(FunctionExecutorUpdate update)
    {
        var id = update.FunctionExecutorId;
        foreach (var result in update.Results)
        {
            Deactivate(result.AllocationId);
            if (_finishedAllocations.Add(result.AllocationId) || !_pendingResults.ContainsKey(result.AllocationId))
            {
                AddResult(result);
            }
        }

        foreach (var watch in update.WatchesAdded)
        {
            _watches[watch] = _watches.GetValueOrDefault(watch) + 1;
            if (!_watchingExecutors.TryGetValue(watch.ResultKey, out var executors))
            {
                _watchingExecutors[watch.ResultKey] = executors = new Dictionary<string, int>(StringComparer.Ordinal);
            }

            executors[id] = executors.GetValueOrDefault(id) + 1;
        }

        foreach (var watch in update.WatchesRemoved)
        {
            RemoveWatch(watch, id);
        }

        if (update.WatchesAdded.Count > 0 && !update.Removed)
        {
            DeliverKnownResults(id, update.WatchesAdded);
        }

        var isNewer = !_feSequence.TryGetValue(id, out var lastSequence) || update.Sequence > lastSequence;
        if (isNewer)
        {
            _feSequence[id] = update.Sequence;
            if (update.Removed)
            {
                FailAllocationsOfRemovedExecutor(id);
                _feStates.Remove(id);
                _lastLiveStatus.Remove(id);
                _terminationReported.Remove(id);
                _changes++;
                _functionExecutors.Remove(id);
                _shuttingDown.Remove(id);
                _feSequence.Remove(id);
                foreach (var watch in _watches.Keys.ToList())
                {
                    while (_watchingExecutors.TryGetValue(watch.ResultKey, out var executors) && executors.ContainsKey(id))
                    {
                        RemoveWatch(watch, id);
                    }
                }

                if (_functionExecutors.Count == 0)
                {
                    _allExecutorsRemoved?.TrySetResult();
                }

                // The Server may have listed this FE again while it was shutting down (its allocations were dropped
                // then): reconcile the latest snapshot once more, as a queued self-call, so it is created afresh.
                if (!_stopping && _lastDesired?.FunctionExecutors.Any(f => f.Id == id) == true)
                {
                    _ = this.AsReference<IExecutorGrain>().ReapplyDesiredStateAsync();
                }
            }
            else if (update.State is not null && _functionExecutors.Contains(id))
            {
                SetState(update.State);
            }
        }

        TriggerReport();
        return Task.CompletedTask;
    }

    /// <summary>
    /// An FE that is gone cannot report the allocations it still had (its grain drops them on shutdown). The Server
    /// still waits for each one: a v2 Server derives nothing from the container's end. Each fails
    /// FUNCTION_EXECUTOR_TERMINATED (v2: CONTAINER_TERMINATED), so it is retried elsewhere.
    /// </summary>
    private void FailAllocationsOfRemovedExecutor(string feId)
    {
        if (_stopping || _activeAllocations.Count == 0)
        {
            return;
        }

        foreach (var allocation in _activeAllocations.Values.Where(a => a.FunctionExecutorId == feId).ToList())
        {
            var reason = _cancelling.Contains(allocation.AllocationId) ? AllocationFailureReason.AllocationCancelled : AllocationFailureReason.FunctionExecutorTerminated;
            Deactivate(allocation.AllocationId);
            if (!_pendingResults.ContainsKey(allocation.AllocationId))
            {
                AddResult(AllocationOutcome.Failed(allocation, reason));
            }
        }
    }

    /// <summary>
    /// A watch added after its result arrived still gets it: a v2 Server pushes each result only once, possibly before
    /// the FE reported the watcher.
    /// </summary>
    private void DeliverKnownResults(string feId, IReadOnlyList<FunctionCallWatch> watches)
    {
        if (_lastDesired is not { FunctionCallResults.Count: > 0 } desired)
        {
            return;
        }

        var keys = new HashSet<string>(watches.Select(w => w.ResultKey), StringComparer.Ordinal);
        var matching = desired.FunctionCallResults.Where(r => r.IsDeliverable && keys.Contains(r.ResultKey)).ToList();
        if (matching.Count > 0)
        {
            _ = DeliverResultsAsync(feId, matching);
        }
    }

    private async Task DeliverResultsAsync(string feId, List<FunctionCallResultSpec> results)
    {
        try
        {
            await GrainFactory.GetGrain<IFunctionExecutorGrain>(feId).DeliverFunctionCallResultsAsync(results);
        }
        catch (Exception ex)
        {
            LogDeliveryFailed(_logger, ex, feId);
        }
    }

    private async Task ShutdownFunctionExecutorAsync(string id)
    {
        try
        {
            await GrainFactory.GetGrain<IFunctionExecutorGrain>(id).ShutdownAsync();
        }
        catch (Exception ex)
        {
            LogShutdownCallFailed(_logger, ex, id);
        }
    }

    private void RemoveWatch(FunctionCallWatch watch, string feId)
    {
        if (_watches.TryGetValue(watch, out var count))
        {
            if (count <= 1)
            {
                _watches.Remove(watch);
            }
            else
            {
                _watches[watch] = count - 1;
            }
        }

        if (_watchingExecutors.TryGetValue(watch.ResultKey, out var executors) && executors.TryGetValue(feId, out var perFe))
        {
            if (perFe <= 1)
            {
                executors.Remove(feId);
            }
            else
            {
                executors[feId] = perFe - 1;
            }

            if (executors.Count == 0)
            {
                _watchingExecutors.Remove(watch.ResultKey);
            }
        }
    }

    private void SetState(FunctionExecutorState state)
    {
        _changes++;
        if (state.Status != FunctionExecutorStatus.Terminated)
        {
            _lastLiveStatus[state.FunctionExecutorId] = state.Status;
        }

        _feStates[state.FunctionExecutorId] = state;
    }

    private void AddResult(AllocationOutcome result)
    {
        if (result.Outcome == OutcomeCode.Unknown)
        {
            // The Server leaves a run with an UNKNOWN outcome hanging forever.
            result = result with { Outcome = OutcomeCode.Failure, FailureReason = AllocationFailureReason.InternalError };
        }

        _finishedAllocations.Add(result.AllocationId);
        _pendingResults[result.AllocationId] = result;
        _changes++;
    }

    public Task DrainAsync()
    {
        if (_status == ExecutorStatus.Running)
        {
            _status = ExecutorStatus.Drained;
            LogDrained(_logger);
            TriggerReport();
        }

        return Task.CompletedTask;
    }

    public async Task ShutdownAsync(TimeSpan timeout)
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        LogShuttingDown(_logger, _feStates.Count, _pendingResults.Count);
        var deadline = Stopwatch.StartNew();
        await _pump.StopAsync();

        // Terminate every FE; each one vanishes from the state when its grain confirms.
        if (_functionExecutors.Count > 0)
        {
            _allExecutorsRemoved = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var shutdowns = _functionExecutors.Select(id => GrainFactory.GetGrain<IFunctionExecutorGrain>(id).ShutdownAsync()).ToList();
            _shuttingDown.UnionWith(_functionExecutors);
            await Task.WhenAll(shutdowns);
            var remaining = timeout - deadline.Elapsed - _options.ReportRpcTimeout;
            if (remaining > TimeSpan.Zero)
            {
                await Task.WhenAny(_allExecutorsRemoved.Task, Task.Delay(remaining));
            }
        }

        _reportTimer?.Dispose();
        _status = ExecutorStatus.Stopped;
        _feStates.Clear();
        await _reporting;

        // The final report carries STOPPED and every unacknowledged result (the Server applies them before deregistering).
        try
        {
            using var cts = new CancellationTokenSource(_options.ReportRpcTimeout);
            _server.RecycleChannel();
            var receipt = await _server.ReportAsync(BuildReport(holdBackTerminations: false), cts.Token);
            foreach (var id in receipt.DeliveredResultIds)
            {
                _pendingResults.Remove(id);
            }

            LogStoppedReported(_logger, receipt.DeliveredResultIds.Count, _pendingResults.Count);
        }
        catch (Exception ex)
        {
            LogStoppedReportFailed(_logger, ex.Message);
        }
    }

    private Task OnReportTimerAsync()
    {
        TriggerReport();
        return Task.CompletedTask;
    }

    private void TriggerReport()
    {
        if (_status is ExecutorStatus.StartingUp or ExecutorStatus.Stopped)
        {
            return;
        }

        if (_reportInFlight)
        {
            _reportRequested = true;
            return;
        }

        _reportInFlight = true;
        _reporting = ReportLoopAsync();
    }

    private async Task ReportLoopAsync()
    {
        try
        {
            bool succeeded;
            do
            {
                _reportRequested = false;
                succeeded = await ReportOnceAsync();
            }
            // After a failure the timer (with its backoff) or the next event retries, never a tight loop.
            while (succeeded && _reportRequested && _status is not (ExecutorStatus.Stopped or ExecutorStatus.StartingUp));
        }
        finally
        {
            _reportInFlight = false;
        }
    }

    private async Task<bool> ReportOnceAsync()
    {
        var succeeded = false;
        var report = BuildReport(holdBackTerminations: true);
        var previousInterval = _reportInterval;
        try
        {
            using var cts = new CancellationTokenSource(_options.ReportRpcTimeout);
            var receipt = await _server.ReportAsync(report, cts.Token);
            foreach (var id in receipt.DeliveredResultIds)
            {
                _pendingResults.Remove(id);
            }

            _health.ReportSucceeded();
            _reportInterval = _options.ReportInterval;
            if (receipt.ResultsLeftOver)
            {
                _reportRequested = true;
            }

            if (!_registered)
            {
                _registered = true;
                LogRegistered(_logger, _identity.ExecutorId);
                _pump.EnsureStarted(_identity.ExecutorId);
            }

            _signals.ReportAccepted();
            succeeded = true;
        }
        catch (Exception ex)
        {
            _health.ReportFailed();
            // A Server that refuses connections is down, not overloaded: probe it every ServerReconnectInterval so
            // the first report after its return lands within that interval. Answered failures back off ×3, capped
            // well inside the Server's 30 s liveness window (upstream's 15/45/135 s schedule lets it lapse).
            _reportInterval = ex is ServerUnreachableException
                ? TimeSpan.FromTicks(Math.Min(_options.ServerReconnectInterval.Ticks, _options.ReportInterval.Ticks))
                : TimeSpan.FromTicks(Math.Min(_reportInterval.Ticks * 3, _options.MaxReportBackoff.Ticks));
            _server.RecycleChannel();
            LogReportFailed(_logger, ex.Message, _reportInterval.TotalSeconds);
        }

        if (_reportInterval != previousInterval && _reportTimer is not null && !_stopping)
        {
            _reportTimer.Change(_reportInterval, _reportInterval);
        }

        return succeeded;
    }

    private ExecutorReport BuildReport(bool holdBackTerminations)
    {
        var results = _pendingResults.Values.ToList();
        HashSet<string>? executorsWithPendingResults = null;
        if (holdBackTerminations && results.Count > 0)
        {
            executorsWithPendingResults = new HashSet<string>(results.Select(r => r.FunctionExecutorId), StringComparer.Ordinal);
        }

        var states = new List<FunctionExecutorState>(_feStates.Count);
        List<FunctionExecutorState>? heldBack = null;
        foreach (var state in _feStates.Values)
        {
            // The Server applies an FE's termination before the results of the same report, so results of
            // allocations on a terminated FE must be acknowledged in an earlier report than the termination.
            // Once TERMINATED went out it is never taken back: the Server would adopt the FE again.
            if (state.Status == FunctionExecutorStatus.Terminated && executorsWithPendingResults?.Contains(state.FunctionExecutorId) == true
                && !_terminationReported.Contains(state.FunctionExecutorId))
            {
                states.Add(state with { Status = _lastLiveStatus.GetValueOrDefault(state.FunctionExecutorId, FunctionExecutorStatus.Pending), TerminationReason = null, AllocationIdsCausedTermination = [] });
                (heldBack ??= []).Add(state);
                _reportRequested = true;
                continue;
            }

            if (state.Status == FunctionExecutorStatus.Terminated)
            {
                _terminationReported.Add(state.FunctionExecutorId);
            }

            states.Add(state);
        }

        return new ExecutorReport
        {
            ExecutorId = _identity.ExecutorId,
            Hostname = _identity.Hostname,
            Version = ExecutorIdentity.Version,
            Status = _status,
            TotalResources = _capacity.Total,
            TotalFunctionExecutorResources = _capacity.FunctionExecutorTotal,
            AllowedFunctions = _identity.AllowedFunctions,
            Labels = _identity.Labels,
            CatalogEntryName = _identity.CatalogEntryName,
            FunctionExecutors = states,
            TerminationsHeldBack = heldBack ?? [],
            Watches = [.. _watches.Keys],
            ServerClock = _serverClock,
            Results = results,
        };
    }

    [LoggerMessage(1, LogLevel.Information, "executor {ExecutorId} starting; Server at {ServerAddress}")]
    private static partial void LogStarting(ILogger logger, string executorId, string serverAddress);

    [LoggerMessage(2, LogLevel.Information, "executor {ExecutorId} registered with the Server")]
    private static partial void LogRegistered(ILogger logger, string executorId);

    [LoggerMessage(3, LogLevel.Warning, "state report failed ({Reason}); next periodic report in {IntervalSeconds} s")]
    private static partial void LogReportFailed(ILogger logger, string reason, double intervalSeconds);

    [LoggerMessage(4, LogLevel.Error, "failed to reconcile desired state with clock {Clock}")]
    private static partial void LogReconcileFailed(ILogger logger, Exception exception, ulong clock);

    [LoggerMessage(5, LogLevel.Error, "allocation {AllocationId} targets function executor {FunctionExecutorId} which is not in the desired state; reporting it FUNCTION_EXECUTOR_TERMINATED")]
    private static partial void LogAllocationForUnknownExecutor(ILogger logger, string allocationId, string functionExecutorId);

    [LoggerMessage(6, LogLevel.Information, "function executor {FunctionExecutorId} is no longer desired; shutting it down")]
    private static partial void LogShuttingDownExecutor(ILogger logger, string functionExecutorId);

    [LoggerMessage(7, LogLevel.Information, "shutting down executor: {FunctionExecutors} function executors, {PendingResults} unreported results")]
    private static partial void LogShuttingDown(ILogger logger, int functionExecutors, int pendingResults);

    [LoggerMessage(8, LogLevel.Information, "reported STOPPED with {Delivered} results ({Undelivered} undelivered)")]
    private static partial void LogStoppedReported(ILogger logger, int delivered, int undelivered);

    [LoggerMessage(9, LogLevel.Warning, "final STOPPED report failed: {Reason}")]
    private static partial void LogStoppedReportFailed(ILogger logger, string reason);

    [LoggerMessage(11, LogLevel.Error, "shutting down function executor {FunctionExecutorId} failed")]
    private static partial void LogShutdownCallFailed(ILogger logger, Exception exception, string functionExecutorId);

    [LoggerMessage(10, LogLevel.Warning, "executor drained: no new function executors or allocations will be started")]
    private static partial void LogDrained(ILogger logger);

    [LoggerMessage(12, LogLevel.Error, "delivering function call results to function executor {FunctionExecutorId} failed")]
    private static partial void LogDeliveryFailed(ILogger logger, Exception exception, string functionExecutorId);
}

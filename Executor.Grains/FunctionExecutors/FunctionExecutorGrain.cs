using System.Diagnostics;
using Executor.Allocations;
using Executor.Configuration;
using Executor.FunctionExecutors.Processes;
using Executor.Grains;
using Executor.HostResources;
using Executor.Logging;
using Executor.Model;
using Executor.Server;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.FunctionExecutors;

/// <summary>
/// One Function Executor: books its host resources (GPUs included), starts its worker process (code from the cache,
/// get_info, initialize), admits and runs allocations (FIFO, at most max_concurrency at a time), checks health on a
/// grain timer, watches the process exit, and terminates it with an exact reason. Everything it learns goes to the ExecutorGrain as
/// one-way updates (state + results), never waiting on it.
/// </summary>
[CollectionAgeLimit(AlwaysActive = true)]
public sealed partial class FunctionExecutorGrain : Grain, IFunctionExecutorGrain, IAllocationHost
{
    private readonly IFunctionExecutorProcessLauncher _launcher;
    private readonly ApplicationCodeCache _codeCache;
    private readonly FunctionExecutorResourcePool _resources;
    private readonly BlobMessages _blobs;
    private readonly IServerConnection _server;
    private readonly ExecutorIdentity _identity;
    private readonly ExecutorOptions _options;
    private readonly AllocationMetrics _metrics;
    private readonly FunctionExecutorMetrics _feMetrics;
    private readonly ContextLogger _logger;
    private readonly TimeProvider _time;

    private readonly LinkedList<(AllocationSpec Spec, long QueuedAt)> _queue = new();

    // Index of the queue by allocation id: admission and removal stay O(1) with thousands queued.
    private readonly Dictionary<string, LinkedListNode<(AllocationSpec Spec, long QueuedAt)>> _queued = new(StringComparer.Ordinal);
    private readonly Dictionary<string, AllocationRunner> _running = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(AllocationRunner Run, string WatcherId)>> _watchRoutes = new(StringComparer.Ordinal);
    private readonly List<AllocationOutcome> _outbox = [];
    private readonly List<FunctionCallWatch> _watchesAdded = [];
    private readonly List<FunctionCallWatch> _watchesRemoved = [];
    private readonly Dictionary<string, long> _fetchedAt = new(StringComparer.Ordinal);

    private FunctionExecutorSpec? _spec;
    private FunctionExecutorLifecycle _lifecycle = FunctionExecutorLifecycle.NotStarted;
    private bool _counted;
    private long _reportedRunnable;
    private FunctionExecutorState? _state;
    private long _sequence;
    private IFunctionExecutorProcess? _process;
    private FunctionExecutorClient? _client;
    private IGrainTimer? _healthTimer;
    private IGrainTimer? _startupKick;
    private int _healthTimeouts;
    private bool _shutDown;
    private CancellationTokenSource _startupCancellation = new();
    private Task _startup = Task.CompletedTask;
    private Task _termination = Task.CompletedTask;
    private bool _lastExitWasOom;
    private FunctionExecutorProtocol _protocol;

    public FunctionExecutorGrain(
        IFunctionExecutorProcessLauncher launcher,
        ApplicationCodeCache codeCache,
        FunctionExecutorResourcePool resources,
        BlobMessages blobs,
        IServerConnection server,
        ExecutorIdentity identity,
        IOptions<ExecutorOptions> options,
        AllocationMetrics metrics,
        FunctionExecutorMetrics feMetrics,
        ILogger<FunctionExecutorGrain> logger,
        TimeProvider time)
    {
        _launcher = launcher;
        _codeCache = codeCache;
        _resources = resources;
        _blobs = blobs;
        _server = server;
        _identity = identity;
        _options = options.Value;
        _metrics = metrics;
        _feMetrics = feMetrics;
        _logger = new ContextLogger(logger, LogContext.ForExecutor(identity.ExecutorId).ForFunctionExecutor(this.GetPrimaryKeyString()));
        _time = time;
    }

    private string Id => this.GetPrimaryKeyString();

    private int MaxConcurrency => (int)Math.Max(1, _spec?.MaxConcurrency ?? 1);

    public AllocationFailureReason FailureReasonForDeadExecutor => _lastExitWasOom ? AllocationFailureReason.Oom : AllocationFailureReason.FunctionError;

    public async Task WaitForProcessEndAsync(TimeSpan timeout)
    {
        if (_process is not { } process)
        {
            return;
        }

        using var cancel = new CancellationTokenSource();
        var ended = await Task.WhenAny(process.Exited, Task.Delay(timeout, _time, cancel.Token));
        await cancel.CancelAsync();
        if (ended == process.Exited && process == _process && await process.Exited is { KilledByUs: false } exit)
        {
            // As the exit watcher does; set here too so the verdict does not depend on which of the two runs first.
            _lastExitWasOom = exit.LikelyOomKilled;
        }
    }

    public Task<FunctionExecutorStateView> GetStateAsync() => Task.FromResult(new FunctionExecutorStateView
    {
        FunctionExecutorId = Id,
        Status = _state?.Status ?? FunctionExecutorStatus.Unknown,
        TerminationReason = _state?.TerminationReason,
        ProcessId = _process?.ProcessId,
        Running = _running.Count,
        Queued = _queue.Count,
        ShutDown = _shutDown,
    });

    public Task StartAsync(FunctionExecutorSpec spec, IReadOnlyList<AllocationSpec> allocations)
    {
        if (_lifecycle != FunctionExecutorLifecycle.NotStarted && !_shutDown)
        {
            return AddAllocationsAsync(allocations);
        }

        var handling = Stopwatch.GetTimestamp();

        if (_shutDown)
        {
            // The same id came back after a shutdown of this activation: begin afresh.
            _shutDown = false;
            _startupCancellation = new CancellationTokenSource();
            _healthTimeouts = 0;
        }

        _spec = spec;
        SetLifecycle(FunctionExecutorLifecycle.StartingUp);
        if (spec.MaxConcurrency == 0)
        {
            LogZeroConcurrency(_logger, Id);
        }

        SetState(new FunctionExecutorState { FunctionExecutorId = Id, Status = FunctionExecutorStatus.Pending });

        // The allocations the Server placed together with the FE are queued before startup can begin, so even an
        // instant startup failure (refused resources) blames them, as it must (server-contract §1.7.3). A separate
        // AddAllocations message could arrive after the startup tick on a loaded host.
        Enqueue(allocations);
        Flush();

        // Startup begins on a timer tick, outside this call: the caller is not held up by it.
        _startupKick = this.RegisterGrainTimer(
            static (self, _) => self.BeginStartup(),
            this,
            new GrainTimerCreationOptions { DueTime = TimeSpan.Zero, Period = Timeout.InfiniteTimeSpan, Interleave = false, KeepAlive = true });
        _feMetrics.EventLatency.Record(Stopwatch.GetElapsedTime(handling).TotalSeconds);
        return Task.CompletedTask;
    }

    private Task BeginStartup()
    {
        _startupKick?.Dispose();
        _startupKick = null;
        if (!_shutDown && _lifecycle == FunctionExecutorLifecycle.StartingUp && _spec is { } spec)
        {
            _startup = StartupAsync(spec, _startupCancellation.Token);
        }

        return Task.CompletedTask;
    }

    private async Task StartupAsync(FunctionExecutorSpec spec, CancellationToken cancellationToken)
    {
        // Resource pool, code cache and process launcher are shared services: their lines about this FE carry its ids.
        using var logScope = _logger.EnterScope();
        var started = Stopwatch.GetTimestamp();
        _feMetrics.Creates.Add(1);
        try
        {
            if (spec.IsSandbox || spec.Application is null)
            {
                throw new StartupFailedException(FunctionExecutorTerminationReason.StartupFailedInternalError, "sandbox function executors are not supported by this executor");
            }

            if (CacheSpace.Shortfall(_options.ExpandedCachePath, _options.MinFreeCacheBytes) is { } shortfall)
            {
                throw new StartupFailedException(FunctionExecutorTerminationReason.StartupFailedInternalError, shortfall);
            }

            // Booked before anything is spent on the FE; released only once its process is gone.
            var reservation = await _resources.ReserveAsync(Id, ResourceRequest(spec.Resources), cancellationToken);
            if (!reservation.Succeeded)
            {
                throw new StartupFailedException(FunctionExecutorTerminationReason.StartupFailedInternalError, $"host resources unavailable: {reservation.FailureReason}");
            }

            var code = await FetchCodeAsync(spec.Function, spec.Application, cancellationToken);
            var environment = _resources.VisibilityEnvironment(reservation.Gpus);
            var launching = Stopwatch.GetTimestamp();
            try
            {
                _process = await _launcher.LaunchAsync(new FunctionExecutorLaunchRequest(_identity.ExecutorId, Id, _options.Verbosity > 0, environment), cancellationToken);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                _feMetrics.CreateServerErrors.Add(1);
                throw;
            }
            finally
            {
                _feMetrics.CreateServerLatency.Record(Stopwatch.GetElapsedTime(launching).TotalSeconds);
            }

            LogLaunched(_logger, Id, _process.ProcessId, _process.Address, _process.DiagnosticsLogPath);
            _ = WatchExitAsync(_process);
            _client = new FunctionExecutorClient(_process.Address);

            Fe.InfoResponse info;
            var connecting = Stopwatch.GetTimestamp();
            try
            {
                info = await _client.WaitForInfoAsync(TimeSpan.FromSeconds(5), cancellationToken);
                _feMetrics.EstablishChannelLatency.Record(Stopwatch.GetElapsedTime(connecting).TotalSeconds);
            }
            catch (RpcException) when (!cancellationToken.IsCancellationRequested)
            {
                _feMetrics.EstablishChannelErrors.Add(1);
                _feMetrics.GetInfoRpcErrors.Add(1);
                throw;
            }
            finally
            {
                _feMetrics.GetInfoRpcLatency.Record(Stopwatch.GetElapsedTime(connecting).TotalSeconds);
            }

            if (!info.HasVersion || !info.HasSdkVersion || !info.HasSdkLanguage || !info.HasSdkLanguageVersion)
            {
                throw new StartupFailedException(FunctionExecutorTerminationReason.StartupFailedInternalError, "get_info answer is incomplete");
            }

            var protocol = FunctionExecutorProtocols.Select(info.Version);
            _feMetrics.Info(info.Version, info.SdkVersion, info.SdkLanguage, info.SdkLanguageVersion, FunctionExecutorProtocols.Label(protocol));
            LogInfo(_logger, Id, info.Version, info.SdkVersion, info.SdkLanguage, info.SdkLanguageVersion, FunctionExecutorProtocols.Label(protocol));
            _protocol = protocol ?? throw new StartupFailedException(
                FunctionExecutorTerminationReason.StartupFailedInternalError,
                $"unsupported Function Executor protocol version \"{info.Version}\" (SDK {info.SdkLanguage} {info.SdkVersion}); this executor speaks {FunctionExecutorProtocols.Supported}");
            WarnIfConcurrencyExceedsRpcThreads(spec);

            Fe.InitializeResponse response;
            try
            {
                var request = new Fe.InitializeRequest
                {
                    Function = FunctionExecutorMapping.ToFe(spec.Function with { Version = spec.Function.Version ?? string.Empty }),
                    ApplicationCode = BlobMessages.ApplicationCode(spec.Application, code),
                };
                var initializing = Stopwatch.GetTimestamp();
                try
                {
                    response = await _client.InitializeAsync(request, TimeSpan.FromMilliseconds(spec.InitializationTimeoutMs), cancellationToken);
                }
                catch (RpcException)
                {
                    _feMetrics.InitializeRpcErrors.Add(1);
                    throw;
                }
                finally
                {
                    _feMetrics.InitializeRpcLatency.Record(Stopwatch.GetElapsedTime(initializing).TotalSeconds);
                }
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.DeadlineExceeded)
            {
                throw new StartupFailedException(FunctionExecutorTerminationReason.StartupFailedFunctionTimeout, $"initialize exceeded {spec.InitializationTimeoutMs} ms", ex);
            }
            catch (RpcException ex) when (ex.StatusCode != StatusCode.Cancelled || !cancellationToken.IsCancellationRequested)
            {
                var exit = _process.HasExited ? await _process.Exited : null;
                throw new StartupFailedException(
                    exit?.LikelyOomKilled == true ? FunctionExecutorTerminationReason.Oom : FunctionExecutorTerminationReason.StartupFailedFunctionError,
                    $"initialize failed: {ex.StatusCode} {ex.Status.Detail}",
                    ex);
            }

            if (response.OutcomeCode != Fe.InitializationOutcomeCode.Success)
            {
                throw new StartupFailedException(FunctionExecutorTerminationReason.StartupFailedFunctionError, InitializeFailure.Describe(response));
            }

            if (_shutDown || _lifecycle != FunctionExecutorLifecycle.StartingUp)
            {
                return;
            }

            SetLifecycle(FunctionExecutorLifecycle.Running);
            _feMetrics.CreateLatency.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
            SetState(new FunctionExecutorState { FunctionExecutorId = Id, Status = FunctionExecutorStatus.Running });
            LogRunning(_logger, Id, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (!_options.DisableHealthChecks)
            {
                var creatingChecker = Stopwatch.GetTimestamp();
                _healthTimer = this.RegisterGrainTimer(
                    static (self, _) => self.CheckHealthAsync(),
                    this,
                    new GrainTimerCreationOptions { DueTime = _options.HealthCheckInterval, Period = _options.HealthCheckInterval, Interleave = true, KeepAlive = true });
                _feMetrics.CreateHealthCheckerLatency.Record(Stopwatch.GetElapsedTime(creatingChecker).TotalSeconds);
            }

            Schedule();
            Flush();
        }
        catch (Exception) when (_shutDown || cancellationToken.IsCancellationRequested)
        {
            // Removed while starting: shutdown cleans up; nothing to report.
        }
        catch (StartupFailedException ex)
        {
            _feMetrics.CreateErrors.Add(1);
            LogStartupFailed(_logger, Id, ex.Reason.ToString(), ex.Message, _process?.DiagnosticsLogPath ?? "(not started)");
            BeginTermination(ex.Reason, startupFailure: true, ex.Message);
        }
        catch (Exception ex)
        {
            _feMetrics.CreateErrors.Add(1);
            LogStartupFailed(_logger, Id, FunctionExecutorTerminationReason.StartupFailedInternalError.ToString(), ex.Message, _process?.DiagnosticsLogPath ?? "(not started)");
            BeginTermination(FunctionExecutorTerminationReason.StartupFailedInternalError, startupFailure: true, ex.Message);
        }
    }

    /// <summary>
    /// A 0.1.3 allocation holds about three RPC threads of its FE for its whole life (state stream, blocked get, read
    /// stream); the Python FE serves 100. Near that, allocations beyond it stall until others finish.
    /// </summary>
    private void WarnIfConcurrencyExceedsRpcThreads(FunctionExecutorSpec spec)
    {
        const int PythonFunctionExecutorRpcThreads = 100;
        const int RpcThreadsPerAllocation = 3;
        var threads = (long)Math.Max(1, spec.MaxConcurrency) * RpcThreadsPerAllocation;
        if (_protocol == FunctionExecutorProtocol.ExecutionLog && threads * 10 >= PythonFunctionExecutorRpcThreads * 9)
        {
            LogConcurrencyNearRpcThreads(_logger, Id, spec.MaxConcurrency, threads, PythonFunctionExecutorRpcThreads);
        }
    }

    private async Task<byte[]> FetchCodeAsync(FunctionRef function, DataPayloadRef application, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        _feMetrics.ApplicationDownloads.Add(1);
        try
        {
            var code = await _codeCache.FetchAsync(function, application, cancellationToken);
            if (code.FromCache)
            {
                _feMetrics.ApplicationDownloadsFromCache.Add(1);
            }

            return code.Bytes;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _feMetrics.ApplicationDownloadErrors.Add(1);
            throw new StartupFailedException(FunctionExecutorTerminationReason.StartupFailedInternalError, $"application code unavailable: {ex.Message}", ex);
        }
        finally
        {
            _feMetrics.ApplicationDownloadLatency.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    /// <summary>The Server's resource grant as a ledger request (the GPU model enums share their numbers).</summary>
    private static FunctionExecutorResourceRequest ResourceRequest(FunctionExecutorResources resources) => new(
        resources.CpuMsPerSec,
        resources.MemoryBytes,
        resources.DiskBytes,
        (int)(resources.Gpu?.Count ?? 0),
        (HostResources.GpuModel)(int)(resources.Gpu?.Model ?? Model.GpuModel.Unknown));

    private async Task WatchExitAsync(IFunctionExecutorProcess process)
    {
        var exit = await process.Exited;
        if (exit.KilledByUs || _shutDown || process != _process)
        {
            return;
        }

        _lastExitWasOom = exit.LikelyOomKilled;
        LogProcessExited(_logger, Id, exit.Describe(), process.DiagnosticsLogPath);
        if (_lifecycle == FunctionExecutorLifecycle.Running)
        {
            BeginTermination(exit.LikelyOomKilled ? FunctionExecutorTerminationReason.Oom : FunctionExecutorTerminationReason.Unhealthy, startupFailure: false, $"process exited: {exit.Describe()}");
        }
    }

    private async Task CheckHealthAsync()
    {
        if (_lifecycle != FunctionExecutorLifecycle.Running || _client is null)
        {
            return;
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            var response = await _client.CheckHealthAsync(_options.HealthCheckTimeout, CancellationToken.None);
            _healthTimeouts = 0;
            if (response.HasHealthy && !response.Healthy)
            {
                _feMetrics.FailedHealthChecks.Add(1);
                LogUnhealthy(_logger, Id, response.StatusMessage);
                BeginTermination(FunctionExecutorTerminationReason.Unhealthy, startupFailure: false, "health check: " + response.StatusMessage);
            }
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.DeadlineExceeded or StatusCode.Unavailable)
        {
            // A busy FE may miss one deadline (upstream ignores these forever), and a refused connection of a live
            // process may be a hiccup (a dead one is seen by the exit watcher at once); a hung or broken FE fails them
            // all. Detection bound: interval + N × (timeout + interval), the timer's period counting from each check's end.
            if (++_healthTimeouts >= _options.HealthCheckTimeoutsBeforeUnhealthy && _lifecycle == FunctionExecutorLifecycle.Running)
            {
                _feMetrics.FailedHealthChecks.Add(1);
                var message = ex.StatusCode == StatusCode.DeadlineExceeded
                    ? $"{_healthTimeouts} health checks timed out"
                    : $"{_healthTimeouts} health checks failed, the last with {ex.StatusCode}: {ex.Status.Detail}";
                LogUnhealthy(_logger, Id, message);
                BeginTermination(FunctionExecutorTerminationReason.Unhealthy, startupFailure: false, message);
            }
        }
        catch (RpcException)
        {
            // Other errors are not proof of death (upstream treats them as healthy too).
        }
        finally
        {
            _feMetrics.HealthCheckLatency.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    public Task AddAllocationsAsync(IReadOnlyList<AllocationSpec> allocations)
    {
        var handling = Stopwatch.GetTimestamp();
        Enqueue(allocations);
        Schedule();
        Flush();
        _feMetrics.EventLatency.Record(Stopwatch.GetElapsedTime(handling).TotalSeconds);
        return Task.CompletedTask;
    }

    private void Enqueue(IReadOnlyList<AllocationSpec> allocations)
    {
        var now = _time.GetTimestamp();
        foreach (var allocation in allocations)
        {
            if (_shutDown || _running.ContainsKey(allocation.AllocationId) || _queued.ContainsKey(allocation.AllocationId))
            {
                continue;
            }

            _metrics.Fetched.Add(1);
            _fetchedAt[allocation.AllocationId] = now;
            _queued[allocation.AllocationId] = _queue.AddLast((allocation, now));
        }
    }

    public Task RemoveAllocationsAsync(IReadOnlyList<string> allocationIds)
    {
        var handling = Stopwatch.GetTimestamp();
        foreach (var id in allocationIds)
        {
            if (_running.TryGetValue(id, out var run))
            {
                if (run.OutcomeHandedOver)
                {
                    // Finished: only its delete_allocation is pending.
                    continue;
                }

                LogCancelling(_logger, id, Id);
                run.Stop(AllocationStopReason.Cancelled);
                continue;
            }

            if (_queued.Remove(id, out var node))
            {
                _queue.Remove(node);
                Complete(AllocationOutcome.Failed(node.Value.Spec, AllocationFailureReason.AllocationCancelled));
            }
        }

        Schedule();
        Flush();
        _feMetrics.EventLatency.Record(Stopwatch.GetElapsedTime(handling).TotalSeconds);
        return Task.CompletedTask;
    }

    public Task DeliverFunctionCallResultsAsync(IReadOnlyList<FunctionCallResultSpec> results)
    {
        foreach (var result in results)
        {
            if (!result.IsDeliverable || !_watchRoutes.TryGetValue(result.ResultKey, out var routes))
            {
                continue;
            }

            foreach (var (run, watcherId) in routes.ToList())
            {
                run.DeliverResult(watcherId, result);
            }
        }

        return Task.CompletedTask;
    }

    private void RemoveQueueHead()
    {
        _queued.Remove(_queue.First!.Value.Spec.AllocationId);
        _queue.RemoveFirst();
    }

    private void Schedule()
    {
        while (_queue.First is { } head)
        {
            if (_lifecycle is FunctionExecutorLifecycle.NotStarted or FunctionExecutorLifecycle.StartingUp)
            {
                return;
            }

            if (_lifecycle is FunctionExecutorLifecycle.Terminating or FunctionExecutorLifecycle.Terminated)
            {
                RemoveQueueHead();
                Complete(AllocationOutcome.Failed(head.Value.Spec, AllocationFailureReason.FunctionExecutorTerminated));
                continue;
            }

            if (_running.Count >= MaxConcurrency)
            {
                return;
            }

            RemoveQueueHead();
            _metrics.ScheduleLatency.Record(_time.GetElapsedTime(head.Value.QueuedAt).TotalSeconds);
            var spec = head.Value.Spec;
            var logger = _logger.WithContext(_logger.Context.ForAllocation(spec.AllocationId, spec.RequestId, spec.FunctionCallId));
            var runner = new AllocationRunner(spec, _spec!.AllocationTimeoutMs, _client!, _blobs, _server, _options, this, _metrics, logger, _time, _protocol);
            _running[spec.AllocationId] = runner;
            _ = RunAsync(runner, logger);
        }
    }

    private async Task RunAsync(AllocationRunner runner, ContextLogger logger)
    {
        var started = Stopwatch.GetTimestamp();
        AllocationRunResult result;
        try
        {
            // The blob store and Server connection are shared services: their lines about this allocation carry its ids.
            using (logger.EnterScope())
            {
                // The outcome is reported as soon as it is final; the runner keeps its slot until the FE deleted the allocation.
                result = await runner.RunAsync(outcome =>
                {
                    Complete(outcome);
                    Flush();
                });
            }
        }
        finally
        {
            _running.Remove(runner.Spec.AllocationId);
            _metrics.RunLatency.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }

        if (result.Outcome is not null)
        {
            Complete(result.Outcome);
        }

        if (result.TerminateFunctionExecutor is { } reason)
        {
            // An allocation whose outcome was handed over finished; the FE broke after it (delete_allocation unanswered).
            BeginTermination(reason, startupFailure: false, $"allocation {runner.Spec.AllocationId}", blamed: runner.OutcomeHandedOver ? [] : [runner.Spec.AllocationId]);
        }
        else if (result.Failed && _lifecycle == FunctionExecutorLifecycle.Running && !_options.DisableHealthChecks)
        {
            // A failed allocation may have broken the FE: check now rather than at the next tick.
            _ = CheckHealthAsync();
        }

        Schedule();
        Flush();
    }

    private void Complete(AllocationOutcome outcome)
    {
        _metrics.Completed(outcome);
        if (_fetchedAt.Remove(outcome.AllocationId, out var fetchedAt))
        {
            _metrics.CompletionLatency.Record(_time.GetElapsedTime(fetchedAt).TotalSeconds);
        }

        if (!_shutDown)
        {
            _outbox.Add(outcome);
        }
    }

    /// <summary>Starts terminating the FE (idempotent). TERMINATED is reported only after the process is gone.</summary>
    private void BeginTermination(FunctionExecutorTerminationReason reason, bool startupFailure, string message, IReadOnlyList<string>? blamed = null)
    {
        if (_lifecycle is FunctionExecutorLifecycle.Terminating or FunctionExecutorLifecycle.Terminated || _shutDown)
        {
            return;
        }

        SetLifecycle(FunctionExecutorLifecycle.Terminating);
        StopHealthChecker();
        LogTerminating(_logger, Id, reason.ToString(), message);

        List<string> blame;
        if (startupFailure)
        {
            // Every allocation queued on an FE that never started is blamed, so failing constructors consume attempts.
            blame = [.. _queue.Select(q => q.Spec.AllocationId)];
            var failure = reason switch
            {
                FunctionExecutorTerminationReason.StartupFailedFunctionError => AllocationFailureReason.StartupFailedFunctionError,
                FunctionExecutorTerminationReason.StartupFailedFunctionTimeout => AllocationFailureReason.StartupFailedFunctionTimeout,
                FunctionExecutorTerminationReason.StartupFailedInternalError => AllocationFailureReason.StartupFailedInternalError,
                FunctionExecutorTerminationReason.Oom => AllocationFailureReason.Oom,
                FunctionExecutorTerminationReason.FunctionCancelled => AllocationFailureReason.FunctionExecutorTerminated,
                _ => AllocationFailureReason.InternalError,
            };
            while (_queue.First is { } head)
            {
                RemoveQueueHead();
                Complete(AllocationOutcome.Failed(head.Value.Spec, failure));
            }
        }
        else if (reason is FunctionExecutorTerminationReason.Unhealthy or FunctionExecutorTerminationReason.Oom)
        {
            // The running allocations, plus the one whose run found the FE broken (already out of _running); not those
            // that already handed over their outcome and only wait for delete_allocation.
            blame = [.. _running.Where(r => !r.Value.OutcomeHandedOver).Select(r => r.Key).Union(blamed ?? [])];
            var failure = reason == FunctionExecutorTerminationReason.Oom ? AllocationFailureReason.Oom : AllocationFailureReason.FunctionError;
            foreach (var run in _running.Values)
            {
                run.Stop(AllocationStopReason.FunctionExecutorFailed, failure);
            }
        }
        else
        {
            blame = [.. blamed ?? []];
            foreach (var run in _running.Values)
            {
                // Innocent bystanders of another allocation's timeout or cancellation are retried elsewhere.
                run.Stop(AllocationStopReason.FunctionExecutorFailed, AllocationFailureReason.FunctionExecutorTerminated);
            }
        }

        _termination = FinishTerminationAsync(reason, blame, message);
    }

    private async Task FinishTerminationAsync(FunctionExecutorTerminationReason reason, List<string> blamed, string message)
    {
        using var logScope = _logger.EnterScope();
        await DestroyProcessAsync(TimeSpan.Zero);
        await WaitForRunsAsync();
        Schedule();
        if (_shutDown)
        {
            return;
        }

        // TERMINATED tells the Server these resources are free again: they must be free here first.
        _resources.Release(Id);
        SetLifecycle(FunctionExecutorLifecycle.Terminated);
        SetState(new FunctionExecutorState
        {
            FunctionExecutorId = Id,
            Status = FunctionExecutorStatus.Terminated,
            TerminationReason = reason,
            AllocationIdsCausedTermination = blamed,
            TerminationMessage = message,
        });
        Flush();
    }

    private async Task WaitForRunsAsync()
    {
        var deadline = Stopwatch.StartNew();
        while (_running.Count > 0 && deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10));
        }
    }

    private void StopHealthChecker()
    {
        if (_healthTimer is not null)
        {
            var stoppingChecker = Stopwatch.GetTimestamp();
            _healthTimer.Dispose();
            _healthTimer = null;
            _feMetrics.DestroyHealthCheckerLatency.Record(Stopwatch.GetElapsedTime(stoppingChecker).TotalSeconds);
        }
    }

    private async Task DestroyProcessAsync(TimeSpan grace)
    {
        using var logScope = _logger.EnterScope();
        StopHealthChecker();

        var process = _process;
        var client = _client;
        if (process is null)
        {
            client?.Dispose();
            return;
        }

        var started = Stopwatch.GetTimestamp();
        _feMetrics.Destroys.Add(1);
        try
        {
            var closing = Stopwatch.GetTimestamp();
            client?.Dispose();
            _feMetrics.DestroyChannelLatency.Record(Stopwatch.GetElapsedTime(closing).TotalSeconds);
            var stopping = Stopwatch.GetTimestamp();
            try
            {
                await process.StopAsync(grace, CancellationToken.None);
                await process.DisposeAsync();
            }
            catch (Exception)
            {
                _feMetrics.DestroyServerErrors.Add(1);
                throw;
            }
            finally
            {
                _feMetrics.DestroyServerLatency.Record(Stopwatch.GetElapsedTime(stopping).TotalSeconds);
            }
        }
        catch (Exception ex)
        {
            _feMetrics.DestroyErrors.Add(1);
            LogDestroyFailed(_logger, ex, Id);
        }
        finally
        {
            _feMetrics.DestroyLatency.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    public async Task ShutdownAsync()
    {
        if (_shutDown)
        {
            Flush(removed: true);
            return;
        }

        using var logScope = _logger.EnterScope();
        LogShuttingDown(_logger, Id, _running.Count, _queue.Count);
        _shutDown = true;
        StopHealthChecker();
        _startupKick?.Dispose();
        _startupKick = null;
        await _startupCancellation.CancelAsync();
        _queue.Clear();
        _queued.Clear();
        foreach (var run in _running.Values)
        {
            run.Stop(AllocationStopReason.Shutdown);
        }

        // Startup passes the token to every await, so it ends promptly. Waiting for it before destroying means a
        // process it was launching at this very moment is known (and killed) below instead of leaking.
        await ObserveAsync(_startup);
        await DestroyProcessAsync(_options.FunctionExecutorStopGracePeriod);
        await WaitForRunsAsync();
        await ObserveAsync(_termination);
        _resources.Release(Id);
        _process = null;
        _client = null;
        SetLifecycle(FunctionExecutorLifecycle.Terminated);
        _outbox.Clear();
        Flush(removed: true);
        if (_counted)
        {
            // Gone from every gauge: it no longer exists.
            _counted = false;
            _feMetrics.StateChanged(_lifecycle, null);
            _feMetrics.FunctionExecutorRemoved();
        }

        this.DeactivateOnIdle();
    }

    private async Task ObserveAsync(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception ex)
        {
            LogDestroyFailed(_logger, ex, Id);
        }
    }

    public void WatchAdded(AllocationRunner run, string watcherId, FunctionCallWatch watch)
    {
        if (!_watchRoutes.TryGetValue(watch.ResultKey, out var routes))
        {
            _watchRoutes[watch.ResultKey] = routes = [];
        }

        routes.Add((run, watcherId));
        _watchesAdded.Add(watch);
        Flush();
    }

    public void WatchRemoved(AllocationRunner run, string watcherId, FunctionCallWatch watch)
    {
        if (_watchRoutes.TryGetValue(watch.ResultKey, out var routes))
        {
            routes.RemoveAll(r => r.Run == run && r.WatcherId == watcherId);
            if (routes.Count == 0)
            {
                _watchRoutes.Remove(watch.ResultKey);
            }
        }

        _watchesRemoved.Add(watch);
        Flush();
    }

    private void SetState(FunctionExecutorState state) => _state = state;

    private void SetLifecycle(FunctionExecutorLifecycle lifecycle)
    {
        if (!_counted)
        {
            _counted = true;
            _feMetrics.FunctionExecutorCreated();
            _feMetrics.StateChanged(null, _lifecycle);
        }

        _feMetrics.StateChanged(_lifecycle, lifecycle);
        _lifecycle = lifecycle;
    }

    /// <summary>Keeps the executor-wide runnable gauges equal to the sum of every FE's queue.</summary>
    private void UpdateRunnableGauge()
    {
        var queued = _shutDown ? 0 : _queue.Count;
        if (queued != _reportedRunnable && _spec is not null)
        {
            _feMetrics.RunnableChanged(_spec.Function.Function, queued - _reportedRunnable);
            _reportedRunnable = queued;
        }
    }

    private FunctionExecutorState? _lastSentState;

    /// <summary>Sends what changed (state, finished results, watch changes) to the ExecutorGrain in one one-way message.</summary>
    private void Flush(bool removed = false)
    {
        UpdateRunnableGauge();
        var stateChanged = !ReferenceEquals(_state, _lastSentState);
        if (!removed && !stateChanged && _outbox.Count == 0 && _watchesAdded.Count == 0 && _watchesRemoved.Count == 0)
        {
            return;
        }

        var update = new FunctionExecutorUpdate
        {
            FunctionExecutorId = Id,
            Sequence = ++_sequence,
            State = _state,
            Results = [.. _outbox],
            WatchesAdded = [.. _watchesAdded],
            WatchesRemoved = [.. _watchesRemoved],
            Removed = removed,
        };
        _outbox.Clear();
        _watchesAdded.Clear();
        _watchesRemoved.Clear();
        _lastSentState = _state;
        _ = GrainFactory.GetGrain<IExecutorGrain>(ExecutorGrainKeys.Executor).OnFunctionExecutorUpdateAsync(update);
    }

    [LoggerMessage(1, LogLevel.Information, "function executor {FunctionExecutorId} launched: pid {ProcessId} at {Address}, diagnostics in {DiagnosticsPath}")]
    private static partial void LogLaunched(ILogger logger, string functionExecutorId, int processId, string address, string diagnosticsPath);

    [LoggerMessage(2, LogLevel.Information, "function executor {FunctionExecutorId}: version {Version}, SDK {SdkVersion} {SdkLanguage} {SdkLanguageVersion}, protocol {Protocol}")]
    private static partial void LogInfo(ILogger logger, string functionExecutorId, string version, string sdkVersion, string sdkLanguage, string sdkLanguageVersion, string protocol);

    [LoggerMessage(3, LogLevel.Information, "function executor {FunctionExecutorId} is running ({ElapsedMs} ms to start)")]
    private static partial void LogRunning(ILogger logger, string functionExecutorId, double elapsedMs);

    [LoggerMessage(4, LogLevel.Error, "function executor {FunctionExecutorId} failed to start ({Reason}): {Message}; diagnostics in {DiagnosticsPath}")]
    private static partial void LogStartupFailed(ILogger logger, string functionExecutorId, string reason, string message, string diagnosticsPath);

    [LoggerMessage(5, LogLevel.Warning, "function executor {FunctionExecutorId} process exited unexpectedly ({Exit}); diagnostics in {DiagnosticsPath}")]
    private static partial void LogProcessExited(ILogger logger, string functionExecutorId, string exit, string diagnosticsPath);

    [LoggerMessage(6, LogLevel.Warning, "function executor {FunctionExecutorId} is unhealthy: {Message}")]
    private static partial void LogUnhealthy(ILogger logger, string functionExecutorId, string message);

    [LoggerMessage(7, LogLevel.Warning, "terminating function executor {FunctionExecutorId}: {Reason} ({Message})")]
    private static partial void LogTerminating(ILogger logger, string functionExecutorId, string reason, string message);

    [LoggerMessage(8, LogLevel.Information, "shutting down function executor {FunctionExecutorId} ({Running} running, {Queued} queued allocations)")]
    private static partial void LogShuttingDown(ILogger logger, string functionExecutorId, int running, int queued);

    [LoggerMessage(9, LogLevel.Error, "destroying function executor {FunctionExecutorId} failed")]
    private static partial void LogDestroyFailed(ILogger logger, Exception exception, string functionExecutorId);

    [LoggerMessage(10, LogLevel.Information, "cancelling allocation {AllocationId} on function executor {FunctionExecutorId}")]
    private static partial void LogCancelling(ILogger logger, string allocationId, string functionExecutorId);

    [LoggerMessage(11, LogLevel.Warning, "function executor {FunctionExecutorId} has max_concurrency 0; running one allocation at a time instead of none")]
    private static partial void LogZeroConcurrency(ILogger logger, string functionExecutorId);

    [LoggerMessage(12, LogLevel.Warning, "function executor {FunctionExecutorId}: max_concurrency {MaxConcurrency} keeps about {Threads} of its {FunctionExecutorThreads} RPC threads busy (protocol 0.1.3 holds about 3 per allocation); allocations beyond that stall")]
    private static partial void LogConcurrencyNearRpcThreads(ILogger logger, string functionExecutorId, uint maxConcurrency, long threads, int functionExecutorThreads);
}

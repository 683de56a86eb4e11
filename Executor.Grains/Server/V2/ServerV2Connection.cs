using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Executor.Configuration;
using Executor.Logging;
using Executor.Metrics;
using Executor.Model;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ProtoV2 = Executor.Protocol.ServerV2;

namespace Executor.Server.V2;

/// <summary>
/// Protocol v2 adapter. One <see cref="ReportAsync"/> is one heartbeat exchange (plus the full_state the Server may
/// ask for in its answer); <see cref="ReadDesiredStatesAsync"/> runs the command and result long polls and yields the
/// <see cref="CommandLedger"/>'s complete snapshots; <see cref="CallFunctionAsync"/> queues a call_function log entry
/// and completes when a heartbeat carrying it was accepted. Registration rules: every full_state attempt counts as
/// possibly applied, so polls stay stopped from the moment one is due until one was accepted, and then both cursors
/// restart with no ack.
/// </summary>
public sealed partial class ServerV2Connection : IServerConnection
{
    // A Server that asks for state again right after accepting it is not answered in a loop: the next report retries.
    private const int MaxStateRounds = 2;
    private static readonly TimeSpan PollStopBound = TimeSpan.FromSeconds(5);

    // An empty answer that came back at once (a wake-up the Server stored) is polled again after this pause, so a
    // Server that keeps answering empty at once is not hammered.
    private static readonly TimeSpan QuickEmptyAnswer = TimeSpan.FromMilliseconds(100);

    // Room left in a heartbeat for everything but one call_function entry.
    private const int HeartbeatOverheadBytes = 64 * 1024;

    private readonly ServerChannelProvider _channels;
    private readonly ServerMetrics _metrics;
    private readonly ILogger _logger;
    private readonly FunctionExecutorDescriptionStore _descriptions;
    private readonly IReportTrigger _reportTrigger;
    private readonly TimeProvider _time;
    private readonly ResultQuarantine _quarantine;
    private readonly int _maxHeartbeatBytes;
    private readonly TimeSpan _pollTimeout;
    private readonly SemaphoreSlim _heartbeats = new(1, 1);
    private readonly Lock _gate = new();
    private readonly CommandLedger _ledger;
    private readonly HeartbeatOutbox _outbox = new();
    private readonly ContainerLifecycle _lifecycle = new();
    private readonly Dictionary<string, PreparedOutcome> _prepared = new(StringComparer.Ordinal);
    private bool _needFullState;
    private PollSession? _session;
    private ProtoV2.HeartbeatRequest? _lastRequest;
    private bool _lastFailureWasTransport;

    public ServerV2Connection(
        ServerChannelProvider channels,
        ServerMetrics metrics,
        ILogger<ServerV2Connection> logger,
        IOptions<ExecutorOptions> options,
        FunctionExecutorDescriptionStore descriptions,
        IReportTrigger reportTrigger,
        TimeProvider time,
        ExecutorIdentity? identity = null)
    {
        _channels = channels;
        _metrics = metrics;
        _logger = identity is null ? logger : new ContextLogger(logger, LogContext.ForExecutor(identity.ExecutorId));
        _descriptions = descriptions;
        _reportTrigger = reportTrigger;
        _time = time;
        _quarantine = new ResultQuarantine(metrics, _logger);
        _maxHeartbeatBytes = options.Value.MaxHeartbeatBytes;
        _pollTimeout = options.Value.ServerPollTimeout;
        _ledger = new CommandLedger(_logger, descriptions);
    }

    private ProtoV2.ExecutorAPI.ExecutorAPIClient Client => new(_channels.Channel);

    /// <summary>Heartbeats until one is accepted without send_state, sending full_state when asked for it.</summary>
    public async Task<ReportReceipt> ReportAsync(ExecutorReport report, CancellationToken cancellationToken)
    {
        await _heartbeats.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var states = report.ActualFunctionExecutors();
            var stopping = report.Status == ExecutorStatus.Stopped;
            List<PreparedOutcome> outcomes;
            lock (_gate)
            {
                foreach (var response in _lifecycle.Observe(states, stopping))
                {
                    _outbox.AddResponse(response);
                }

                outcomes = Prepare(report, states);
                var ledgerKnows = _ledger.ContainerWires.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
                var reported = states.Select(s => s.FunctionExecutorId).ToHashSet(StringComparer.Ordinal);
                _descriptions.Retain(id => reported.Contains(id) || ledgerKnows.Contains(id));
            }

            var delivered = new List<string>();
            var stateRounds = 0;
            while (true)
            {
                bool full;
                lock (_gate)
                {
                    full = _needFullState;
                }

                if (full)
                {
                    await StopPollsAsync().ConfigureAwait(false);
                }

                HeartbeatBatch batch;
                lock (_gate)
                {
                    var request = new ProtoV2.HeartbeatRequest { ExecutorId = report.ExecutorId, Status = WireMapping.ToWire(report.Status) };
                    if (full)
                    {
                        request.FullState = FullStateBuilder.Build(report, states, _descriptions, id => LogMissingDescription(_logger, id));
                    }

                    batch = HeartbeatBatch.Build(request, _outbox.Responses, _outbox.Calls, outcomes, _maxHeartbeatBytes);
                    if (stopping && batch.LeftOver)
                    {
                        // Only the last heartbeat says STOPPED: the Server deregisters inside that RPC.
                        request.Status = ProtoV2.ExecutorStatus.Running;
                    }

                    _lastRequest = request;
                }

                var sendState = await SendAsync(batch, cancellationToken).ConfigureAwait(false);
                if (sendState)
                {
                    // Everything offered stays queued: an unknown executor's reports are dropped unread.
                    if (++stateRounds > MaxStateRounds)
                    {
                        throw new ServerRpcException("Server asked for full state again right after accepting it");
                    }

                    lock (_gate)
                    {
                        if (!_needFullState)
                        {
                            LogStateRequested(_logger);
                        }

                        _needFullState = true;
                    }

                    continue;
                }

                lock (_gate)
                {
                    if (full)
                    {
                        _needFullState = false;
                        _ledger.ResetCursors();
                        _metrics.FullStateSyncs.Add(1);
                        LogRegistered(_logger, batch.Request.FullState.ContainerStates.Count);
                    }

                    // Polls (re)start under this registration once the pump reopens them.
                    _session ??= new PollSession();
                    _outbox.Acknowledge(batch.Responses, batch.Calls);
                    _ledger.OutcomesDelivered(batch.OutcomeIds);
                    delivered.AddRange(batch.OutcomeIds);
                }

                foreach (var outcome in batch.Request.AllocationOutcomes)
                {
                    var failed = outcome.Failed;
                    LogReportedOutcome(_logger, failed?.AllocationId ?? outcome.Completed!.AllocationId, outcome.OutcomeCase.ToString(), failed?.Reason.ToString() ?? "None");
                }

                if (stopping && batch.LeftOver && batch.Request.Status != ProtoV2.ExecutorStatus.Stopped)
                {
                    var sent = batch.OutcomeIds.ToHashSet(StringComparer.Ordinal);
                    outcomes = [.. outcomes.Where(o => !sent.Contains(o.AllocationId))];
                    continue;
                }

                return new ReportReceipt(delivered, batch.LeftOver, batch.Bytes);
            }
        }
        finally
        {
            _heartbeats.Release();
        }
    }

    /// <returns>The answer's send_state.</returns>
    private async Task<bool> SendAsync(HeartbeatBatch batch, CancellationToken cancellationToken)
    {
        _metrics.StateReportRpcs.Add(1);
        _metrics.StateReportMessageSize.Record(batch.Bytes / (1024.0 * 1024.0));
        var started = Stopwatch.GetTimestamp();
        try
        {
            var response = await Client.heartbeatAsync(batch.Request, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
            lock (_gate)
            {
                _lastFailureWasTransport = false;
            }

            return response.SendState;
        }
        catch (RpcException ex)
        {
            _metrics.StateReportRpcErrors.Add(1);
            lock (_gate)
            {
                _lastFailureWasTransport = RpcFailures.IsTransport(ex);
            }

            var message = $"heartbeat failed: {ex.StatusCode} {ex.Status.Detail}";
            if (ex.StatusCode == StatusCode.Unimplemented)
            {
                // A v1 Server: heartbeat does not exist there.
                throw new ServerProtocolMismatchException(ServerProtocol.V2, message, ex);
            }

            // INTERNAL: some item failed; the Server processed the rest and everything is offered again (idempotent).
            throw RpcFailures.IsServerGone(ex) ? new ServerUnreachableException(message, ex) : new ServerRpcException(message, ex);
        }
        finally
        {
            _metrics.StateReportRpcLatency.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    /// <summary>
    /// Validates (or quarantines) and maps each outcome once. container_id goes only on failures caused by the
    /// container going away (queued work of an FE that is unknown or TERMINATED here), never on FUNCTION_TIMEOUT:
    /// the Server kills the container it names.
    /// </summary>
    private List<PreparedOutcome> Prepare(ExecutorReport report, IReadOnlyList<FunctionExecutorState> states)
    {
        Dictionary<string, FunctionExecutorState>? byId = null;
        var outcomes = new List<PreparedOutcome>(report.Results.Count);
        var current = new HashSet<string>(report.Results.Count, StringComparer.Ordinal);
        foreach (var result in report.Results)
        {
            current.Add(result.AllocationId);
            if (_prepared.TryGetValue(result.AllocationId, out var prepared) && ReferenceEquals(prepared.Source, result))
            {
                outcomes.Add(prepared);
                continue;
            }

            var clean = _quarantine.Sanitize(result);
            string? containerId = null;
            if (clean.Outcome == OutcomeCode.Failure && IsContainerFailure(clean.FailureReason))
            {
                byId ??= states.ToDictionary(s => s.FunctionExecutorId, StringComparer.Ordinal);
                var known = byId.TryGetValue(clean.FunctionExecutorId, out var state);
                if ((!known || state!.Status == FunctionExecutorStatus.Terminated) && clean.FunctionExecutorId.Length > 0)
                {
                    containerId = clean.FunctionExecutorId;
                }
            }

            prepared = new PreparedOutcome(result.AllocationId, result, WireMapping.ToWire(clean, containerId));
            if (prepared.Bytes > _maxHeartbeatBytes - HeartbeatOverheadBytes)
            {
                // Could never fit in a heartbeat: the Server would refuse it forever.
                LogOutcomeTooLarge(_logger, result.AllocationId, prepared.Bytes);
                var failure = clean with { Outcome = OutcomeCode.Failure, FailureReason = AllocationFailureReason.InternalError, Value = null, Updates = null, RequestError = null };
                _metrics.InvalidResultsQuarantined.Add(1);
                prepared = new PreparedOutcome(result.AllocationId, result, WireMapping.ToWire(failure, null));
            }

            _prepared[result.AllocationId] = prepared;
            outcomes.Add(prepared);
        }

        foreach (var id in _prepared.Keys.Where(id => !current.Contains(id)).ToList())
        {
            _prepared.Remove(id);
        }

        return outcomes;
    }

    private static bool IsContainerFailure(AllocationFailureReason? reason) => reason is AllocationFailureReason.FunctionExecutorTerminated
        or AllocationFailureReason.StartupFailedInternalError or AllocationFailureReason.StartupFailedFunctionError or AllocationFailureReason.StartupFailedFunctionTimeout;

    /// <summary>Ends the current poll session (aborting and awaiting its polls) before a full_state goes out.</summary>
    private async Task StopPollsAsync()
    {
        PollSession? session;
        lock (_gate)
        {
            session = _session;
            _session = null;
        }

        if (session is not null)
        {
            await session.EndAsync(PollStopBound).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Polls commands and results under the current registration and yields the ledger's snapshot after every change
    /// (the current one first). Ends without error when a re-registration ends the session; the caller reopens after
    /// the next accepted report.
    /// </summary>
    /// <exception cref="ExecutorNotRegisteredException">A poll answered NOT_FOUND: the next heartbeat registers again.</exception>
    public async IAsyncEnumerable<DesiredState> ReadDesiredStatesAsync(string executorId, TimeSpan idleTimeout, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var snapshots = Channel.CreateBounded<DesiredState>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        CancellationTokenSource? polling = null;
        Task? loops = null;
        lock (_gate)
        {
            if (_session is { IsEnded: false } session)
            {
                // Started and tracked under the lock: a full_state that ends this session always waits for these polls.
                polling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, session.Ended);
                snapshots.Writer.TryWrite(_ledger.Snapshot());
                loops = RunPollsAsync(executorId, session, snapshots.Writer, polling.Token);
                session.Track(loops);
            }
        }

        if (loops is null || polling is null)
        {
            // No registration to poll under (a full_state is due or was never accepted): the caller waits for one.
            yield break;
        }

        try
        {
            await foreach (var state in snapshots.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return state;
            }
        }
        finally
        {
            await polling.CancelAsync().ConfigureAwait(false);
            try
            {
                await loops.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Already surfaced through the channel.
            }

            polling.Dispose();
        }
    }

    private async Task RunPollsAsync(string executorId, PollSession session, ChannelWriter<DesiredState> snapshots, CancellationToken cancellationToken)
    {
        using var both = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var commands = Task.Run(() => PollCommandsAsync(executorId, session, snapshots, both.Token), CancellationToken.None);
        var results = Task.Run(() => PollResultsAsync(executorId, session, snapshots, both.Token), CancellationToken.None);
        var first = await Task.WhenAny(commands, results).ConfigureAwait(false);
        await both.CancelAsync().ConfigureAwait(false);
        Exception? failure = null;
        foreach (var loop in new[] { first, first == commands ? results : commands })
        {
            try
            {
                await loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Session ended, reader gone, or the other loop failed.
            }
            catch (Exception ex)
            {
                failure ??= ex;
            }
        }

        snapshots.TryComplete(session.IsEnded || cancellationToken.IsCancellationRequested ? null : failure);
    }

    private async Task PollCommandsAsync(string executorId, PollSession session, ChannelWriter<DesiredState> snapshots, CancellationToken cancellationToken)
    {
        while (true)
        {
            var request = new ProtoV2.PollCommandsRequest { ExecutorId = executorId };
            lock (_gate)
            {
                if (_session != session)
                {
                    return;
                }

                if (_ledger.Commands.Ack is { } ack)
                {
                    request.AckedCommandSeq = ack;
                }
            }

            _metrics.CommandPolls.Add(1);
            var started = _time.GetTimestamp();
            var response = await PollAsync(
                deadline => Client.poll_commandsAsync(request, deadline: deadline, cancellationToken: cancellationToken).ResponseAsync,
                "poll_commands",
                _metrics.CommandPollErrors,
                executorId,
                cancellationToken).ConfigureAwait(false);
            if (response is null)
            {
                continue;
            }

            if (response.Commands.Count == 0)
            {
                await PauseIfQuickAsync(started, cancellationToken).ConfigureAwait(false);
                continue;
            }

            CommandBatch batch;
            DesiredState? snapshot = null;
            lock (_gate)
            {
                if (_session != session)
                {
                    // A re-registration happened while this answer was on its way: its numbering is gone.
                    return;
                }

                batch = _ledger.ApplyCommands(response.Commands);
                foreach (var answer in batch.Responses)
                {
                    _outbox.AddResponse(answer);
                }

                foreach (var id in batch.RemovedContainers)
                {
                    _lifecycle.RemovalRequested(id);
                }

                if (batch.Changed)
                {
                    snapshot = _ledger.Snapshot();
                }

                if (batch.GapAt is not null)
                {
                    // Commands were pruned before we applied them: only a full re-sync brings them back.
                    _needFullState = true;
                }
            }

            _metrics.CommandsApplied.Add(batch.Applied);
            if (batch.Rejected > 0)
            {
                _metrics.DesiredStateRejectedPieces.Add(batch.Rejected);
            }

            if (snapshot is not null)
            {
                snapshots.TryWrite(snapshot);
            }

            if (batch.NeedsPromptHeartbeat)
            {
                _reportTrigger.RequestReport();
            }

            if (batch.GapAt is not null)
            {
                _metrics.CommandSequenceGaps.Add(1);
                return;
            }
        }
    }

    private async Task PollResultsAsync(string executorId, PollSession session, ChannelWriter<DesiredState> snapshots, CancellationToken cancellationToken)
    {
        while (true)
        {
            var request = new ProtoV2.PollAllocationResultsRequest { ExecutorId = executorId };
            lock (_gate)
            {
                if (_session != session)
                {
                    return;
                }

                if (_ledger.Results.Ack is { } ack)
                {
                    request.AckedResultSeq = ack;
                }
            }

            _metrics.ResultPolls.Add(1);
            var started = _time.GetTimestamp();
            var response = await PollAsync(
                deadline => Client.poll_allocation_resultsAsync(request, deadline: deadline, cancellationToken: cancellationToken).ResponseAsync,
                "poll_allocation_results",
                _metrics.ResultPollErrors,
                executorId,
                cancellationToken).ConfigureAwait(false);
            if (response is null)
            {
                continue;
            }

            if (response.Results.Count == 0)
            {
                await PauseIfQuickAsync(started, cancellationToken).ConfigureAwait(false);
                continue;
            }

            ResultBatch batch;
            DesiredState? snapshot = null;
            lock (_gate)
            {
                if (_session != session)
                {
                    return;
                }

                batch = _ledger.ApplyResults(response.Results);
                if (batch.Changed)
                {
                    snapshot = _ledger.Snapshot();
                }
            }

            _metrics.FunctionCallResultsReceived.Add(batch.Applied - batch.Rejected);
            if (batch.Rejected > 0)
            {
                _metrics.DesiredStateRejectedPieces.Add(batch.Rejected);
            }

            if (batch.GapFrom is not null)
            {
                _metrics.ResultSequenceGaps.Add(1);
            }

            if (snapshot is not null)
            {
                snapshots.TryWrite(snapshot);
            }
        }
    }

    /// <returns>The answer, or null when our own deadline ended a quiet poll (poll again).</returns>
    private async Task<T?> PollAsync<T>(Func<DateTime, Task<T>> call, string name, System.Diagnostics.Metrics.Counter<long> errors, string executorId, CancellationToken cancellationToken)
        where T : class
    {
        var started = _time.GetTimestamp();
        try
        {
            return await call(_time.GetUtcNow().UtcDateTime + _pollTimeout).ConfigureAwait(false);
        }
        catch (RpcException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.DeadlineExceeded && _time.GetElapsedTime(started) >= _pollTimeout / 2)
        {
            // Our own deadline ended a quiet poll (or a half-open connection): poll again.
            return null;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            errors.Add(1);
            throw new ExecutorNotRegisteredException($"Server does not know executor {executorId}: {ex.Status.Detail}");
        }
        catch (RpcException ex)
        {
            errors.Add(1);
            throw new ServerRpcException($"{name} failed: {ex.StatusCode} {ex.Status.Detail}", ex);
        }
    }

    private async Task PauseIfQuickAsync(long started, CancellationToken cancellationToken)
    {
        if (_time.GetElapsedTime(started) < QuickEmptyAnswer)
        {
            await Task.Delay(QuickEmptyAnswer, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Queues an AllocationLogEntry.call_function under the calling allocation, asks for a heartbeat at once, and
    /// completes when a heartbeat carrying it was accepted. A retry of the same call (same allocation and root call id)
    /// joins the first instead of queuing it twice.
    /// </summary>
    public async Task CallFunctionAsync(FunctionCallRequestSpec request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (ValidateCall(request) is { } error)
        {
            _metrics.CallFunctionRpcErrors.Add(1);
            throw new ServerRpcException($"call_function is malformed: {error}", retriable: false);
        }

        var entry = WireMapping.ToLogEntry(request);
        var size = MessageBudget.RepeatedFieldBytes(entry);
        if (size > _maxHeartbeatBytes - HeartbeatOverheadBytes)
        {
            _metrics.CallFunctionRpcErrors.Add(1);
            throw new ServerRpcException($"call_function of {size} bytes does not fit in a heartbeat", retriable: false);
        }

        Task accepted;
        var key = QueuedFunctionCall.KeyOf(request.AllocationId, request.Updates.RootFunctionCallId);
        lock (_gate)
        {
            accepted = _outbox.AddCall(key, entry);
        }

        _metrics.CallFunctionRpcs.Add(1);
        _metrics.FunctionCallMessageSize.Record(size / (1024.0 * 1024.0));
        var started = Stopwatch.GetTimestamp();
        if (!accepted.IsCompleted)
        {
            _reportTrigger.RequestReport();
        }

        try
        {
            await accepted.WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            // Like an RPC attempt that failed: the call is not offered again unless the caller retries, so a call
            // whose caller gave up (and told the FE it did not start) never starts later.
            lock (_gate)
            {
                _outbox.Withdraw(key);
            }

            if (ex is OperationCanceledException)
            {
                throw;
            }

            _metrics.CallFunctionRpcErrors.Add(1);
            throw new ServerRpcException($"call_function was not accepted by the Server within {timeout.TotalSeconds:0.#} s", ex, retriable: true);
        }
        finally
        {
            _metrics.CallFunctionRpcLatency.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    private static string? ValidateCall(FunctionCallRequestSpec request)
    {
        if (string.IsNullOrEmpty(request.AllocationId))
        {
            return "the calling allocation id is required";
        }

        if (string.IsNullOrEmpty(request.Namespace) || string.IsNullOrEmpty(request.Application) || string.IsNullOrEmpty(request.RequestId) || string.IsNullOrEmpty(request.SourceFunctionCallId))
        {
            return "namespace, application, request_id and source_function_call_id are required";
        }

        return request.Updates is null ? "updates are required" : OutcomeValidator.ValidateCallGraph(request.Updates);
    }

    /// <summary>Recycles the shared channel only after transport failures: an answered INTERNAL says the connection works (and polls keep running).</summary>
    public void RecycleChannel()
    {
        bool transport;
        lock (_gate)
        {
            transport = _lastFailureWasTransport;
        }

        if (transport)
        {
            _channels.Recycle();
        }
    }

    public string? DescribeLastReport(bool json)
    {
        lock (_gate)
        {
            return _lastRequest is null ? null : json ? JsonFormatter.Default.Format(_lastRequest) : ProtoTextFormatter.Format(_lastRequest);
        }
    }

    public string? DescribeLastDesiredState(bool json)
    {
        lock (_gate)
        {
            return _ledger.HasReceived ? LedgerDescription.Format(_ledger, json) : null;
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Server asked for the executor's full state; sending it (polls paused until it is accepted)")]
    private static partial void LogStateRequested(ILogger logger);

    [LoggerMessage(2, LogLevel.Information, "registered with the Server by full state ({Containers} containers); command and result sequences restart")]
    private static partial void LogRegistered(ILogger logger, int containers);

    [LoggerMessage(3, LogLevel.Error, "no description known for container {ContainerId}; leaving it out of the full state")]
    private static partial void LogMissingDescription(ILogger logger, string containerId);

    [LoggerMessage(4, LogLevel.Error, "allocation result {AllocationId} is {Bytes} bytes and can never fit in a heartbeat; reporting it as INTERNAL_ERROR")]
    private static partial void LogOutcomeTooLarge(ILogger logger, string allocationId, int bytes);

    [LoggerMessage(5, LogLevel.Debug, "reported allocation outcome {AllocationId}: {OutcomeKind} {FailureReason}")]
    private static partial void LogReportedOutcome(ILogger logger, string allocationId, string outcomeKind, string failureReason);
}

using Executor.Configuration;
using Executor.Grains;
using Executor.Logging;
using Executor.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Executor.Server;

/// <summary>
/// Reads the desired-state stream and feeds the ExecutorGrain. Snapshots are delivered latest-value-wins:
/// while the grain reconciles one, newer ones replace each other and only the newest is applied next
/// (every snapshot is complete, so skipping intermediate ones loses nothing). Clocks are never compared:
/// the Server's clock repeats and restarts from 0 after a wipe.
/// </summary>
public sealed partial class DesiredStatePump : IAsyncDisposable
{
    private static readonly TimeSpan InitialBackoff = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    private readonly IServerConnection _server;
    private readonly IGrainFactory _grains;
    private readonly ServerSessionSignals _signals;
    private readonly ExecutorOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;
    private DesiredState? _latest;
    private bool _delivering;
    private Task _delivery = Task.CompletedTask;

    public DesiredStatePump(IServerConnection server, IGrainFactory grains, ServerSessionSignals signals, IOptions<ExecutorOptions> options, ExecutorIdentity identity, ILogger<DesiredStatePump> logger, TimeProvider time)
    {
        _server = server;
        _grains = grains;
        _signals = signals;
        _options = options.Value;
        _logger = new ContextLogger(logger, LogContext.ForExecutor(identity.ExecutorId));
        _time = time;
    }

    public long SnapshotsReceived { get; private set; }

    /// <summary>Starts reading (once). Called by the ExecutorGrain after its first accepted report.</summary>
    public void EnsureStarted(string executorId)
    {
        lock (_gate)
        {
            if (_loop is not null || _stopping.IsCancellationRequested)
            {
                return;
            }

            _loop = Task.Run(() => RunAsync(executorId, _stopping.Token));
        }
    }

    public async Task StopAsync()
    {
        Task? loop;
        lock (_gate)
        {
            _stopping.Cancel();
            loop = _loop;
        }

        if (loop is not null)
        {
            await loop.ConfigureAwait(false);
        }

        await _delivery.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task RunAsync(string executorId, CancellationToken stopping)
    {
        var backoff = InitialBackoff;
        var mustReportFirst = false;
        var askForReport = false;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (mustReportFirst)
                {
                    // The Server may have forgotten us (restart, lapse): register again before reopening.
                    var accepted = _signals.WaitForNextAcceptedReportAsync(stopping);
                    if (askForReport)
                    {
                        await _grains.GetGrain<IExecutorGrain>(ExecutorGrainKeys.Executor).RequestReportAsync().ConfigureAwait(false);
                    }

                    await accepted.ConfigureAwait(false);
                    mustReportFirst = false;
                    askForReport = false;
                }

                LogStreamOpening(_logger, executorId);
                var received = false;
                await foreach (var state in _server.ReadDesiredStatesAsync(executorId, _options.DesiredStateStreamIdleTimeout, stopping).ConfigureAwait(false))
                {
                    received = true;
                    backoff = InitialBackoff;
                    Deliver(state);
                }

                // Ended without error: idle timeout (normal) or the Server closed it (deregistered us): register again now.
                LogStreamEnded(_logger, received);
                mustReportFirst = true;
                askForReport = true;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (ExecutorNotRegisteredException ex)
            {
                LogNotRegistered(_logger, ex.Message);
                mustReportFirst = true;
                askForReport = true;
                backoff = Grow(backoff);
            }
            catch (Exception ex)
            {
                // A transport error (often our own channel recycled after a failed report): reopen after the
                // next accepted report, without forcing one, so report backoff is not defeated.
                LogStreamFailed(_logger, ex);
                mustReportFirst = true;
                backoff = Grow(backoff);
            }

            try
            {
                await Task.Delay(backoff, _time, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private static TimeSpan Grow(TimeSpan backoff) => TimeSpan.FromTicks(Math.Min(backoff.Ticks * 10, MaxBackoff.Ticks));

    private void Deliver(DesiredState state)
    {
        lock (_gate)
        {
            SnapshotsReceived++;
            _latest = state;
            if (_delivering)
            {
                return;
            }

            _delivering = true;
            _delivery = Task.Run(DeliverLatestAsync);
        }
    }

    private async Task DeliverLatestAsync()
    {
        var grain = _grains.GetGrain<IExecutorGrain>(ExecutorGrainKeys.Executor);
        while (true)
        {
            DesiredState? next;
            lock (_gate)
            {
                next = _latest;
                _latest = null;
                if (next is null)
                {
                    _delivering = false;
                    return;
                }
            }

            try
            {
                await grain.ApplyDesiredStateAsync(next).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // The next snapshot (or the periodic reopen) brings the same content again.
                LogApplyFailed(_logger, ex, next.Clock);
            }
        }
    }

    [LoggerMessage(1, LogLevel.Debug, "opening desired state stream for executor {ExecutorId}")]
    private static partial void LogStreamOpening(ILogger logger, string executorId);

    [LoggerMessage(2, LogLevel.Information, "desired state stream ended (received messages: {Received}); reopening")]
    private static partial void LogStreamEnded(ILogger logger, bool received);

    [LoggerMessage(3, LogLevel.Warning, "Server does not know this executor yet ({Detail}); reporting before reopening the stream")]
    private static partial void LogNotRegistered(ILogger logger, string detail);

    [LoggerMessage(4, LogLevel.Warning, "desired state stream failed; retrying with backoff")]
    private static partial void LogStreamFailed(ILogger logger, Exception exception);

    [LoggerMessage(5, LogLevel.Error, "failed to apply desired state with clock {Clock}")]
    private static partial void LogApplyFailed(ILogger logger, Exception exception, ulong clock);
}

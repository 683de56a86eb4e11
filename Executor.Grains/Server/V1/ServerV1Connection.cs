using System.Diagnostics;
using System.Runtime.CompilerServices;
using Executor.Logging;
using Executor.Metrics;
using Executor.Model;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using ProtoV1 = Executor.Protocol.ServerV1;

namespace Executor.Server.V1;

/// <summary>
/// Protocol v1 adapter: builds ReportExecutorStateRequest from the domain report (with content-derived
/// state_hash, validated results, size limit), reads desired-state snapshots, forwards call_function.
/// It also remembers the Server's FE descriptions so reports echo them verbatim, as the Server requires.
/// </summary>
public sealed partial class ServerV1Connection : IServerConnection
{
    private readonly ServerChannelProvider _channels;
    private readonly ServerMetrics _metrics;
    private readonly ILogger _logger;
    private readonly DesiredStateReader _reader;
    private readonly ResultQuarantine _quarantine;
    private readonly FunctionExecutorDescriptionStore _descriptions;
    private readonly Lock _gate = new();
    private readonly int _maxReportBytes;
    private ProtoV1.ReportExecutorStateRequest? _lastReport;
    private ProtoV1.DesiredExecutorState? _lastDesired;
    private HashSet<string> _lastDesiredExecutorIds = new(StringComparer.Ordinal);

    public ServerV1Connection(ServerChannelProvider channels, ServerMetrics metrics, ILogger<ServerV1Connection> logger, Microsoft.Extensions.Options.IOptions<Configuration.ExecutorOptions> options, Configuration.ExecutorIdentity? identity = null, FunctionExecutorDescriptionStore? descriptions = null)
    {
        _channels = channels;
        _metrics = metrics;
        _logger = identity is null ? logger : new ContextLogger(logger, LogContext.ForExecutor(identity.ExecutorId));
        _reader = new DesiredStateReader(_logger);
        _quarantine = new ResultQuarantine(metrics, _logger);
        _descriptions = descriptions ?? new FunctionExecutorDescriptionStore();
        _maxReportBytes = options.Value.MaxReportBytes;
    }

    private ProtoV1.ExecutorAPI.ExecutorAPIClient Client => new(_channels.Channel);

    public async Task<ReportReceipt> ReportAsync(ExecutorReport report, CancellationToken cancellationToken)
    {
        var (request, delivered, leftOver) = BuildRequest(report);
        var size = request.CalculateSize();
        lock (_gate)
        {
            _lastReport = request;
        }

        _metrics.StateReportRpcs.Add(1);
        _metrics.StateReportMessageSize.Record(size / (1024.0 * 1024.0));
        var started = Stopwatch.GetTimestamp();
        try
        {
            await Client.report_executor_stateAsync(request, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            _metrics.StateReportRpcErrors.Add(1);
            var message = $"report_executor_state failed: {ex.StatusCode} {ex.Status.Detail}";
            if (ex.StatusCode == StatusCode.Unimplemented)
            {
                // A v2 Server: report_executor_state no longer exists there.
                throw new ServerProtocolMismatchException(ServerProtocol.V1, message, ex);
            }

            throw RpcFailures.IsServerGone(ex) ? new ServerUnreachableException(message, ex) : new ServerRpcException(message, ex);
        }
        finally
        {
            _metrics.StateReportRpcLatency.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }

        return new ReportReceipt(delivered, leftOver, size);
    }

    internal (ProtoV1.ReportExecutorStateRequest Request, List<string> Delivered, bool LeftOver) BuildRequest(ExecutorReport report)
    {
        var state = new ProtoV1.ExecutorState
        {
            ExecutorId = report.ExecutorId,
            Hostname = report.Hostname,
            Version = report.Version,
            Status = WireMapping.ToWire(report.Status),
            TotalResources = WireMapping.ToWire(report.TotalResources),
            TotalFunctionExecutorResources = WireMapping.ToWire(report.TotalFunctionExecutorResources),
        };
        state.AllowedFunctions.AddRange(report.AllowedFunctions.Select(WireMapping.ToWireAllowed));
        if (report.CatalogEntryName is not null)
        {
            state.CatalogEntryName = report.CatalogEntryName;
        }

        lock (_gate)
        {
            var reported = new HashSet<string>(StringComparer.Ordinal);
            foreach (var fe in report.FunctionExecutors)
            {
                if (!_descriptions.TryGet(fe.FunctionExecutorId, ProtoV1.FunctionExecutorDescription.Parser, out var description))
                {
                    LogMissingDescription(_logger, fe.FunctionExecutorId);
                    continue;
                }

                reported.Add(fe.FunctionExecutorId);
                var wire = new ProtoV1.FunctionExecutorState { Description = description, Status = (ProtoV1.FunctionExecutorStatus)(int)fe.Status };
                if (fe.TerminationReason is { } reason)
                {
                    wire.TerminationReason = (ProtoV1.FunctionExecutorTerminationReason)(int)reason;
                }

                wire.AllocationIdsCausedTermination.AddRange(fe.AllocationIdsCausedTermination);
                state.FunctionExecutorStates.Add(wire);
            }

            // Forget descriptions nobody refers to any more: neither reported nor desired.
            var desired = _lastDesiredExecutorIds;
            _descriptions.Retain(id => reported.Contains(id) || desired.Contains(id));
        }

        state.FunctionCallWatches.AddRange(report.Watches.Select(WireMapping.ToWire));
        // Hashed before labels, state_hash and server_clock are set: no copy of the state is needed.
        state.StateHash = StateHasher.Compute(state, report.Labels);
        state.ServerClock = report.ServerClock;
        foreach (var (key, value) in report.Labels)
        {
            state.Labels[key] = value;
        }

        var update = new ProtoV1.ExecutorUpdate { ExecutorId = report.ExecutorId };
        var request = new ProtoV1.ReportExecutorStateRequest { ExecutorState = state, ExecutorUpdate = update };
        var delivered = new List<string>();
        var leftOver = false;
        var budget = new MessageBudget(_maxReportBytes, request.CalculateSize());

        // Newest first, like upstream; the first result always goes even if it alone is over the limit.
        for (var i = report.Results.Count - 1; i >= 0; i--)
        {
            var wire = WireMapping.ToWire(_quarantine.Sanitize(report.Results[i]));
            if (!budget.TryTake(wire.CalculateSize()))
            {
                leftOver = true;
                _metrics.StateReportMessageFragmentations.Add(1);
                LogFragmented(_logger, delivered.Count, i + 1);
                break;
            }

            update.AllocationResults.Add(wire);
            delivered.Add(report.Results[i].AllocationId);
            if (delivered.Count == 1 && budget.Bytes >= _maxReportBytes)
            {
                _metrics.StateReportMessagesOverSizeLimit.Add(1);
                LogOverSize(_logger, report.Results[i].AllocationId, budget.Bytes);
            }
        }

        foreach (var result in update.AllocationResults)
        {
            LogReportingOutcome(_logger, result.AllocationId, result.OutcomeCode.ToString(), result.HasFailureReason ? result.FailureReason.ToString() : "None");
        }

        return (request, delivered, leftOver);
    }

    public async IAsyncEnumerable<DesiredState> ReadDesiredStatesAsync(string executorId, TimeSpan idleTimeout, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var streamCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var call = Client.get_desired_executor_states(new ProtoV1.GetDesiredExecutorStatesRequest { ExecutorId = executorId }, cancellationToken: streamCancellation.Token);
        _metrics.DesiredStateStreams.Add(1);
        while (true)
        {
            ProtoV1.DesiredExecutorState message;
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(streamCancellation.Token);
            try
            {
                idle.CancelAfter(idleTimeout);
                if (!await call.ResponseStream.MoveNext(idle.Token).ConfigureAwait(false))
                {
                    yield break;
                }

                message = call.ResponseStream.Current;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
            {
                _metrics.DesiredStateStreamErrors.Add(1);
                throw new ExecutorNotRegisteredException($"Server does not know executor {executorId}: {ex.Status.Detail}");
            }
            catch (Exception ex) when (ex is (RpcException or OperationCanceledException) && idle.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // Idle timeout: a normal end, the caller reopens.
                yield break;
            }
            catch (RpcException ex)
            {
                _metrics.DesiredStateStreamErrors.Add(1);
                throw new ServerRpcException($"desired state stream failed: {ex.StatusCode} {ex.Status.Detail}", ex);
            }

            DesiredState state;
            lock (_gate)
            {
                _lastDesired = message;
                state = _reader.Read(message, _descriptions);
                _lastDesiredExecutorIds = new HashSet<string>(state.FunctionExecutors.Select(f => f.Id), StringComparer.Ordinal);
            }

            if (state.RejectedPieces > 0)
            {
                _metrics.DesiredStateRejectedPieces.Add(state.RejectedPieces);
            }

            yield return state;
        }
    }

    public async Task CallFunctionAsync(FunctionCallRequestSpec request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var wire = WireMapping.ToWire(request);
        _metrics.CallFunctionRpcs.Add(1);
        _metrics.FunctionCallMessageSize.Record(wire.CalculateSize() / (1024.0 * 1024.0));
        var started = Stopwatch.GetTimestamp();
        try
        {
            await Client.call_functionAsync(wire, deadline: DateTime.UtcNow + timeout, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            _metrics.CallFunctionRpcErrors.Add(1);
            var retriable = ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal or StatusCode.ResourceExhausted or StatusCode.Aborted or StatusCode.Unknown;
            throw new ServerRpcException($"call_function failed: {ex.StatusCode} {ex.Status.Detail}", ex, retriable);
        }
        finally
        {
            _metrics.CallFunctionRpcLatency.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    /// <summary>Size of a call_function request on the wire (upstream refuses more than 1 MiB).</summary>
    public static int MeasureCallFunction(FunctionCallRequestSpec request) => WireMapping.ToWire(request).CalculateSize();

    public void RecycleChannel() => _channels.Recycle();

    public string? DescribeLastReport(bool json)
    {
        lock (_gate)
        {
            return _lastReport is null ? null : json ? JsonFormatter.Default.Format(_lastReport) : ProtoTextFormatter.Format(_lastReport);
        }
    }

    public string? DescribeLastDesiredState(bool json)
    {
        lock (_gate)
        {
            return _lastDesired is null ? null : json ? JsonFormatter.Default.Format(_lastDesired) : ProtoTextFormatter.Format(_lastDesired);
        }
    }

    [LoggerMessage(1, LogLevel.Error, "no description known for function executor {FunctionExecutorId}; leaving it out of the report")]
    private static partial void LogMissingDescription(ILogger logger, string functionExecutorId);

    [LoggerMessage(2, LogLevel.Warning, "state report message would exceed its size limit; sending {Sent} results now and {Remaining} in later reports")]
    private static partial void LogFragmented(ILogger logger, int sent, int remaining);

    [LoggerMessage(3, LogLevel.Error, "allocation result {AllocationId} alone makes the report {Bytes} bytes, over the size limit; sending it anyway")]
    private static partial void LogOverSize(ILogger logger, string allocationId, int bytes);

    [LoggerMessage(5, LogLevel.Debug, "reporting allocation outcome {AllocationId}: {OutcomeCode} {FailureReason}")]
    private static partial void LogReportingOutcome(ILogger logger, string allocationId, string outcomeCode, string failureReason);
}

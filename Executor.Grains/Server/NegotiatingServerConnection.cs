using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Executor.Configuration;
using Executor.Logging;
using Executor.Model;
using Executor.Server.V1;
using Executor.Server.V2;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Executor.Server;

/// <summary>
/// The grains' <see cref="IServerConnection"/>: speaks v1 or v2 as configured, or in auto mode finds out per Server.
/// Auto probes with a v2 heartbeat and falls back to v1 when the Server answers UNIMPLEMENTED; a v1 report answered
/// UNIMPLEMENTED switches to v2 (a Server replaced behind the same address); after the Server was unreachable it probes
/// again, since what comes back may be another release. A switch ends the current desired-state read, so the pump
/// reopens it on the new protocol after the next accepted report.
/// </summary>
public sealed partial class NegotiatingServerConnection : IServerConnection
{
    private readonly ServerV1Connection _v1;
    private readonly ServerV2Connection _v2;
    private readonly ActiveServerProtocol _active;
    private readonly ServerChannelProvider _channels;
    private readonly ServerProtocolMode _mode;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private CancellationTokenSource _switched = new();
    private bool _probe;
    private bool _mismatchLogged;
    private IServerConnection? _lastAttempted;

    public NegotiatingServerConnection(
        ServerV1Connection v1,
        ServerV2Connection v2,
        ActiveServerProtocol active,
        ServerChannelProvider channels,
        IOptions<ExecutorOptions> options,
        ILogger<NegotiatingServerConnection> logger,
        ExecutorIdentity? identity = null)
    {
        _v1 = v1;
        _v2 = v2;
        _active = active;
        _channels = channels;
        _mode = options.Value.ServerProtocolMode;
        _logger = identity is null ? logger : new ContextLogger(logger, LogContext.ForExecutor(identity.ExecutorId));
        _probe = _mode == ServerProtocolMode.Auto;
        if (_mode != ServerProtocolMode.Auto)
        {
            var fixedProtocol = _mode == ServerProtocolMode.V1 ? ServerProtocol.V1 : ServerProtocol.V2;
            _active.Set(fixedProtocol);
            LogFixed(_logger, fixedProtocol.Label());
        }
    }

    public ServerProtocol Protocol => _active.Current;

    public async Task<ReportReceipt> ReportAsync(ExecutorReport report, CancellationToken cancellationToken)
    {
        if (_mode != ServerProtocolMode.Auto)
        {
            try
            {
                return await AttemptAsync(_active.Current, report, cancellationToken).ConfigureAwait(false);
            }
            catch (ServerProtocolMismatchException ex) when (!_mismatchLogged)
            {
                // Every failed report is logged anyway; say once what to change.
                _mismatchLogged = true;
                LogFixedMismatch(_logger, _active.Current.Label(), ex.Message);
                throw;
            }
        }

        bool probe;
        lock (_gate)
        {
            probe = _probe || _active.Current == ServerProtocol.Unknown;
        }

        try
        {
            if (!probe)
            {
                var current = _active.Current;
                try
                {
                    return await AttemptAsync(current, report, cancellationToken).ConfigureAwait(false);
                }
                catch (ServerProtocolMismatchException ex)
                {
                    LogMismatch(_logger, current.Label(), ex.Message);
                    return await SelectAfterAsync(Other(current), report, cancellationToken).ConfigureAwait(false);
                }
            }

            try
            {
                return await SelectAfterAsync(ServerProtocol.V2, report, cancellationToken).ConfigureAwait(false);
            }
            catch (ServerProtocolMismatchException)
            {
                return await SelectAfterAsync(ServerProtocol.V1, report, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (ServerRpcException ex) when (ex is ServerUnreachableException or ServerProtocolMismatchException)
        {
            // Down (or speaking neither): whatever answers next may be a different release.
            lock (_gate)
            {
                _probe = true;
            }

            throw;
        }
    }

    private async Task<ReportReceipt> SelectAfterAsync(ServerProtocol protocol, ExecutorReport report, CancellationToken cancellationToken)
    {
        var receipt = await AttemptAsync(protocol, report, cancellationToken).ConfigureAwait(false);
        Select(protocol);
        return receipt;
    }

    private Task<ReportReceipt> AttemptAsync(ServerProtocol protocol, ExecutorReport report, CancellationToken cancellationToken)
    {
        var connection = For(protocol);
        lock (_gate)
        {
            _lastAttempted = connection;
        }

        return connection.ReportAsync(report, cancellationToken);
    }

    private void Select(ServerProtocol protocol)
    {
        CancellationTokenSource? ended = null;
        ServerProtocol previous;
        lock (_gate)
        {
            _probe = false;
            previous = _active.Set(protocol);
            if (previous != protocol && previous != ServerProtocol.Unknown)
            {
                ended = _switched;
                _switched = new CancellationTokenSource();
            }
        }

        if (previous != protocol)
        {
            LogSelected(_logger, protocol.Label(), previous.Label());
        }

        // Ends the read on the old protocol; the pump reopens on this one.
        ended?.Cancel();
    }

    public async IAsyncEnumerable<DesiredState> ReadDesiredStatesAsync(string executorId, TimeSpan idleTimeout, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var protocol = _active.Current;
        CancellationToken switched;
        lock (_gate)
        {
            switched = _switched.Token;
        }

        if (protocol == ServerProtocol.Unknown)
        {
            throw new ServerRpcException("no Server protocol negotiated yet");
        }

        using var reading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, switched);
        var states = For(protocol).ReadDesiredStatesAsync(executorId, idleTimeout, reading.Token).GetAsyncEnumerator(reading.Token);
        try
        {
            while (true)
            {
                bool next;
                try
                {
                    next = await states.MoveNextAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is OperationCanceledException or ServerRpcException && switched.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    // The protocol changed under this read: end it normally so it is reopened on the new one.
                    next = false;
                }

                if (!next)
                {
                    yield break;
                }

                yield return states.Current;
            }
        }
        finally
        {
            await states.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async Task CallFunctionAsync(FunctionCallRequestSpec request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var protocol = _active.Current;
        if (protocol == ServerProtocol.Unknown)
        {
            throw new ServerRpcException("not connected to the Server yet");
        }

        try
        {
            await For(protocol).CallFunctionAsync(request, timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (ServerRpcException ex) when (_mode == ServerProtocolMode.Auto && ex.InnerException is RpcException { StatusCode: StatusCode.Unimplemented })
        {
            // The Server changed protocol under us: the next report finds out which, and the caller's retry goes there.
            lock (_gate)
            {
                _probe = true;
            }

            throw new ServerRpcException(ex.Message, ex, retriable: true);
        }
    }

    public void RecycleChannel()
    {
        if (_active.Current == ServerProtocol.Unknown)
        {
            _channels.Recycle();
            return;
        }

        For(_active.Current).RecycleChannel();
    }

    /// <summary>The last report attempted (on whichever protocol), marked with that protocol.</summary>
    public string? DescribeLastReport(bool json)
    {
        IServerConnection? connection;
        lock (_gate)
        {
            connection = _lastAttempted;
        }

        return connection is null ? null : Mark(connection.DescribeLastReport(json), ProtocolOf(connection), json);
    }

    public string? DescribeLastDesiredState(bool json)
    {
        var protocol = _active.Current;
        return protocol == ServerProtocol.Unknown ? null : Mark(For(protocol).DescribeLastDesiredState(json), protocol, json);
    }

    private static string? Mark(string? body, ServerProtocol protocol, bool json)
    {
        if (body is null)
        {
            return null;
        }

        if (!json)
        {
            // A comment keeps the body valid protobuf text format.
            return $"# server_protocol: {protocol.Label()}\n{body}";
        }

        var node = JsonNode.Parse(body)!.AsObject();
        node.Insert(0, "serverProtocol", protocol.Label());
        return node.ToJsonString();
    }

    private IServerConnection For(ServerProtocol protocol) => protocol == ServerProtocol.V1 ? _v1 : _v2;

    private ServerProtocol ProtocolOf(IServerConnection connection) => ReferenceEquals(connection, _v1) ? ServerProtocol.V1 : ServerProtocol.V2;

    private static ServerProtocol Other(ServerProtocol protocol) => protocol == ServerProtocol.V1 ? ServerProtocol.V2 : ServerProtocol.V1;

    [LoggerMessage(1, LogLevel.Information, "Server protocol {Protocol} selected (was {Previous})")]
    private static partial void LogSelected(ILogger logger, string protocol, string previous);

    [LoggerMessage(2, LogLevel.Information, "Server protocol {Protocol} configured")]
    private static partial void LogFixed(ILogger logger, string protocol);

    [LoggerMessage(4, LogLevel.Error, "the Server does not speak the configured protocol {Protocol} ({Detail}); use --server-protocol auto or the other protocol")]
    private static partial void LogFixedMismatch(ILogger logger, string protocol, string detail);

    [LoggerMessage(3, LogLevel.Warning, "the Server no longer speaks protocol {Protocol} ({Detail}); switching")]
    private static partial void LogMismatch(ILogger logger, string protocol, string detail);
}

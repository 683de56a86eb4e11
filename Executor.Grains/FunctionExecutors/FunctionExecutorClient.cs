using Grpc.Core;
using Grpc.Net.Client;
using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.FunctionExecutors;

/// <summary>
/// gRPC client of one FE process (plaintext HTTP/2 on loopback). The only place that speaks the FE
/// protocol's RPCs; message construction for allocations lives in the Allocations folder.
/// </summary>
public sealed class FunctionExecutorClient : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly Fe.FunctionExecutor.FunctionExecutorClient _client;

    public FunctionExecutorClient(string address)
    {
        _channel = GrpcChannel.ForAddress($"http://{address}", new GrpcChannelOptions
        {
            MaxReceiveMessageSize = null,
            MaxSendMessageSize = null,
            HttpHandler = new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = true,
                ConnectTimeout = TimeSpan.FromSeconds(5),
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            },
            DisposeHttpClient = true,
        });
        _client = new Fe.FunctionExecutor.FunctionExecutorClient(_channel);
    }

    /// <summary>Calls get_info until the server answers or the deadline passes (the port may open before gRPC is served).</summary>
    public async Task<Fe.InfoResponse> WaitForInfoAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        var delay = TimeSpan.FromMilliseconds(2);
        while (true)
        {
            try
            {
                return await _client.get_infoAsync(new Fe.InfoRequest(), deadline: deadline, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
            }
            catch (RpcException ex) when (IsNotServingYet(ex) && DateTime.UtcNow + delay < deadline)
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromMilliseconds(20).Ticks));
            }
        }
    }

    // While an FE process is still starting, its HTTP/2 server may refuse or close connections
    // (Unavailable, or Internal from an HttpRequestException): both mean "try again shortly".
    private static bool IsNotServingYet(RpcException ex) =>
        ex.StatusCode == StatusCode.Unavailable || (ex.StatusCode == StatusCode.Internal && ex.Status.DebugException is HttpRequestException or IOException);

    public Task<Fe.InitializeResponse> InitializeAsync(Fe.InitializeRequest request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        return RetryUnsentAsync(() => _client.initializeAsync(request, deadline: deadline, cancellationToken: cancellationToken).ResponseAsync, deadline, cancellationToken);
    }

    public Task<Fe.HealthCheckResponse> CheckHealthAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        return RetryUnsentAsync(() => _client.check_healthAsync(new Fe.HealthCheckRequest(), deadline: deadline, cancellationToken: cancellationToken).ResponseAsync, deadline, cancellationToken);
    }

    public async Task CreateAllocationAsync(Fe.Allocation allocation, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        var request = new Fe.CreateAllocationRequest { Allocation = allocation };
        var retried = false;
        try
        {
            await RetryUnsentAsync(() => _client.create_allocationAsync(request, deadline: deadline, cancellationToken: cancellationToken).ResponseAsync, deadline, cancellationToken, () => retried = true).ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.AlreadyExists && retried)
        {
            // A retried create whose first attempt did reach the FE: the allocation exists, which is what we asked for.
        }
    }

    public AsyncServerStreamingCall<Fe.AllocationState> WatchAllocationState(string allocationId, CancellationToken cancellationToken) =>
        _client.watch_allocation_state(new Fe.WatchAllocationStateRequest { AllocationId = allocationId }, cancellationToken: cancellationToken);

    public Task SendAllocationUpdateAsync(Fe.AllocationUpdate update, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        return RetryUnsentAsync(() => _client.send_allocation_updateAsync(update, deadline: deadline, cancellationToken: cancellationToken).ResponseAsync, deadline, cancellationToken);
    }

    /// <summary>
    /// delete_allocation is idempotent, so unlike other calls it is retried after any transport failure (a busy FE's
    /// HTTP/2 server may break the connection under a call it never read); a retry answered NOT_FOUND means an earlier
    /// attempt did reach the FE, which is what was asked. A dead FE refuses the retries at once.
    /// </summary>
    public async Task DeleteAllocationAsync(string allocationId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        var request = new Fe.DeleteAllocationRequest { AllocationId = allocationId };
        var retried = false;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _client.delete_allocationAsync(request, deadline: deadline, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
                return;
            }
            catch (RpcException ex) when (retried && ex.StatusCode == StatusCode.NotFound)
            {
                return;
            }
            catch (RpcException ex) when (attempt < MaxUnsentAttempts && (IsUnsent(ex) || IsTransportFailure(ex)) && DateTime.UtcNow < deadline && !cancellationToken.IsCancellationRequested)
            {
                retried = true;
                await Task.Delay(TimeSpan.FromMilliseconds(10 * attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// 0.1.3: the allocation's current execution-log batch. The FE holds the call until a batch exists, so it has no
    /// deadline (one outstanding call per allocation); the same batch comes back until it is advanced, so a call lost
    /// in the transport may simply be made again. An empty batch means the log ended.
    /// </summary>
    public Task<Fe.GetAllocationExecutionLogBatchResponse> GetExecutionLogBatchAsync(string allocationId, CancellationToken cancellationToken) =>
        RetryUnsentAsync(
            () => _client.get_allocation_execution_log_batchAsync(new Fe.GetAllocationExecutionLogBatchRequest { AllocationId = allocationId }, cancellationToken: cancellationToken).ResponseAsync,
            DateTime.MaxValue,
            cancellationToken);

    /// <summary>
    /// 0.1.3: drops the batch last returned. Not idempotent (a second advance drops the next, unseen batch), so it is
    /// never repeated here: after a transport failure the caller gets the current batch again, which tells whether the
    /// advance happened (a new batch) or not (the same one, recognised as a repeat and advanced again).
    /// </summary>
    public Task AdvanceExecutionLogBatchAsync(string allocationId, TimeSpan timeout, CancellationToken cancellationToken) =>
        _client.advance_allocation_execution_log_batchAsync(new Fe.AdvanceAllocationExecutionLogBatchRequest { AllocationId = allocationId }, deadline: DateTime.UtcNow + timeout, cancellationToken: cancellationToken).ResponseAsync;

    /// <summary>0.1.3: the FE's event-log read requests for one allocation, for as long as it reads (long-lived).</summary>
    public AsyncServerStreamingCall<Fe.ReadAllocationEventLogRequest> WatchEventLogReads(string allocationId, CancellationToken cancellationToken) =>
        _client.watch_allocation_event_log_reads(new Fe.WatchAllocationEventLogReads { AllocationId = allocationId }, cancellationToken: cancellationToken);

    /// <summary>
    /// 0.1.3: answers the FE's outstanding event-log read. A second answer would be taken for the FE's next read and
    /// fail the allocation, so it is re-sent only when the call failed before any byte of it was written (a refused
    /// connection); a connection broken while the answer was being written may have delivered it.
    /// </summary>
    public Task SendEventLogReadResponseAsync(Fe.ReadAllocationEventLogResponse response, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        return RetryUnsentAsync(() => _client.send_allocation_event_log_read_responseAsync(response, deadline: deadline, cancellationToken: cancellationToken).ResponseAsync, deadline, cancellationToken, refusedOnly: true);
    }

    /// <summary>
    /// Retries a unary call that failed before the FE received it: the FE's HTTP/2 server closed the connection
    /// (GOAWAY, e.g. NO_ERROR) or refused it while the call was being started. Such a call was never processed, so
    /// sending it again on a fresh connection is safe; without this a healthy, busy FE was replaced as "undefined".
    /// </summary>
    private static async Task<T> RetryUnsentAsync<T>(Func<Task<T>> call, DateTime deadline, CancellationToken cancellationToken, Action? retrying = null, bool refusedOnly = false)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call().ConfigureAwait(false);
            }
            catch (RpcException ex) when (attempt < MaxUnsentAttempts && (refusedOnly ? IsRefused(ex) : IsUnsent(ex)) && DateTime.UtcNow < deadline && !cancellationToken.IsCancellationRequested)
            {
                retrying?.Invoke();
                await Task.Delay(TimeSpan.FromMilliseconds(10 * attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private const int MaxUnsentAttempts = 3;

    /// <summary>
    /// True when the call failed in the transport (connection refused, reset or closed by GOAWAY) rather than with an
    /// answer from the FE. Streams that are side-effect free may be reopened after such a failure.
    /// </summary>
    public static bool IsTransportFailure(RpcException ex) =>
        ex.StatusCode == StatusCode.Unavailable || Server.RpcFailures.IsBrokenConnection(ex);

    // Grpc.Net.Client reports a failure to start the call (the request never reached the server) as "Error starting
    // gRPC call" with the HttpRequestException as the debug exception: Internal, or Unavailable when the connection
    // itself failed underneath (reset during the HTTP/2 handshake or while the request was being written).
    private static bool IsUnsent(RpcException ex) =>
        ex.StatusCode is StatusCode.Internal or StatusCode.Unavailable
        && ex.Status.DebugException is HttpRequestException
        && ex.Status.Detail.StartsWith("Error starting gRPC call", StringComparison.Ordinal);

    // Nothing was written at all: the connection could not even be opened.
    private static bool IsRefused(RpcException ex)
    {
        for (var inner = ex.Status.DebugException; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused })
            {
                return true;
            }
        }

        return false;
    }

    public void Dispose() => _channel.Dispose();
}

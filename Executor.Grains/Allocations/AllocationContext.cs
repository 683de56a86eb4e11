using Executor.Configuration;
using Executor.FunctionExecutors;
using Executor.Model;
using Executor.Server;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.Allocations;

/// <summary>
/// What one allocation's run shares with its protocol driver and services: its spec, its FE, the executor-wide
/// services, and the token that ends the run. Everything here is used on the FE grain's scheduler.
/// </summary>
public sealed class AllocationContext
{
    public required AllocationRunner Run { get; init; }

    public required AllocationSpec Spec { get; init; }

    public required FunctionExecutorClient Client { get; init; }

    public required BlobMessages Blobs { get; init; }

    public required IServerConnection Server { get; init; }

    public required ExecutorOptions Options { get; init; }

    public required IAllocationHost Host { get; init; }

    public required AllocationMetrics Metrics { get; init; }

    public required ILogger Logger { get; init; }

    public required TimeProvider Time { get; init; }

    /// <summary>Cancelled when the run is stopped or cleaned up.</summary>
    public required CancellationToken Stopping { get; init; }

    public string AllocationId => Spec.AllocationId;

    public FunctionCallWatch WatchOf(string functionCallId) =>
        new(Spec.Function.Namespace, Spec.Function.Application, Spec.RequestId, functionCallId);

    /// <summary>Sends a reply to something the FE asked for in its state; FAILED_PRECONDITION means the FE already finished the allocation, so nobody waits for it.</summary>
    public async Task SendStateReplyAsync(Fe.AllocationUpdate update)
    {
        try
        {
            await Client.SendAllocationUpdateAsync(update, Options.FunctionExecutorRpcTimeout, Stopping);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.FailedPrecondition)
        {
            AllocationLog.UpdateFailed(Logger, AllocationId, ex.Status.Detail);
        }
    }
}

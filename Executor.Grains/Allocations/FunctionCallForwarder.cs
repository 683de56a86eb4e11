using Executor.Model;
using Executor.Server;
using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.Allocations;

/// <summary>
/// Starts the child calls an allocation makes: completes the arguments upload, converts the FE plan to a call
/// graph within the Server's limits (1 MiB, 1000 items) and sends it with call_function, retrying retriable
/// errors within the retry budget. Throws when the call could not be started; the caller tells the FE.
/// </summary>
public sealed class FunctionCallForwarder(AllocationContext context, AllocationUploads uploads)
{
    public const int MaxBytes = 1024 * 1024;
    public const int MaxItems = 1000;

    public async Task ForwardAsync(Fe.ExecutionPlanUpdates updates, Fe.BLOB? argsBlob)
    {
        string? argsUri = null;
        if (argsBlob is not null)
        {
            argsUri = await uploads.CompleteOutputBlobAsync(argsBlob) ?? throw new InvalidDataException("function call arguments BLOB is not a pending output BLOB");
        }

        var graph = FunctionExecutorMapping.ToCallGraph(updates, argsUri, out var error) ?? throw new InvalidDataException(error);
        var spec = context.Spec;
        var request = new FunctionCallRequestSpec
        {
            Namespace = spec.Function.Namespace,
            Application = spec.Function.Application,
            RequestId = spec.RequestId,
            SourceFunctionCallId = spec.FunctionCallId,
            Updates = graph,
            AllocationId = spec.AllocationId,
        };
        if (FunctionExecutorMapping.CountItems(graph) > MaxItems || Server.V1.ServerV1Connection.MeasureCallFunction(request) > MaxBytes)
        {
            throw new InvalidDataException("function call exceeds 1 MiB or 1000 items");
        }

        await CallWithRetriesAsync(request);
    }

    /// <summary>Retries retriable Server errors with upstream's jittered exponential backoff, within the retry budget (5 min by default).</summary>
    private async Task CallWithRetriesAsync(FunctionCallRequestSpec request)
    {
        var started = context.Time.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await context.Server.CallFunctionAsync(request, context.Options.FunctionExecutorRpcTimeout, context.Stopping);
                return;
            }
            catch (ServerRpcException ex) when (ex.Retriable)
            {
                var delay = TimeSpan.FromSeconds(Math.Min(2 * Math.Pow(2, attempt), 60) * (0.5 + Random.Shared.NextDouble()));
                var left = context.Options.CallFunctionRetryBudget - context.Time.GetElapsedTime(started);
                if (left <= TimeSpan.Zero)
                {
                    throw;
                }

                AllocationLog.CallFunctionRetry(context.Logger, context.AllocationId, attempt, ex.Message);
                await Task.Delay(delay < left ? delay : left, context.Time, context.Stopping);
            }
        }
    }
}

using Executor.Model;
using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.Allocations.ExecutionLog;

/// <summary>Child calls of one 0.1.3 allocation: started through the forwarder, watched through the FE grain, results read through BLOBs.</summary>
public sealed class ChildCalls(AllocationContext context, FunctionCallForwarder forwarder) : IChildCalls
{
    public Task StartAsync(Fe.AllocationExecutionEventCreateFunctionCall create) => forwarder.ForwardAsync(create.Updates, create.ArgsBlob);

    public void Watch(string functionCallId) => context.Host.WatchAdded(context.Run, functionCallId, context.WatchOf(functionCallId));

    public void Unwatch(string functionCallId) => context.Host.WatchRemoved(context.Run, functionCallId, context.WatchOf(functionCallId));

    public async Task<Fe.AllocationEventFunctionCallWatcherResult> ToWatcherResultAsync(string functionCallId, FunctionCallResultSpec result)
    {
        var entry = new Fe.AllocationEventFunctionCallWatcherResult
        {
            FunctionCallId = functionCallId,
            WatcherStatus = Fe.FunctionCallWatcherStatus.Completed,
            OutcomeCode = result.Outcome == OutcomeCode.Success ? Fe.AllocationOutcomeCode.Success : Fe.AllocationOutcomeCode.Failure,
        };
        if (result.ReturnValue is not null)
        {
            var (value, blob) = await context.Blobs.ReadablePayloadAsync(result.ReturnValue, context.Stopping);
            entry.ValueOutput = value;
            entry.ValueBlob = blob;
        }

        if (result.RequestError is not null)
        {
            var (value, blob) = await context.Blobs.ReadablePayloadAsync(result.RequestError, context.Stopping);
            entry.RequestErrorOutput = value;
            entry.RequestErrorBlob = blob;
        }

        return entry;
    }
}

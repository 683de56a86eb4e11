using Executor.Model;
using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.Allocations.ExecutionLog;

/// <summary>What processing a 0.1.3 execution log does outside the allocation: child calls on the Server and watches on their results.</summary>
public interface IChildCalls
{
    /// <summary>Starts a child call on the Server; throws when it could not be started.</summary>
    Task StartAsync(Fe.AllocationExecutionEventCreateFunctionCall create);

    /// <summary>Asks for the call's result (delivered back through the run's DeliverResult, keyed by the call id).</summary>
    void Watch(string functionCallId);

    void Unwatch(string functionCallId);

    /// <summary>A finished call as the FE reads it: readable BLOBs for its value or request error.</summary>
    Task<Fe.AllocationEventFunctionCallWatcherResult> ToWatcherResultAsync(string functionCallId, FunctionCallResultSpec result);
}

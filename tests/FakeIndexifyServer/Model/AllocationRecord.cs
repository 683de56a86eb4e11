using Executor.Protocol.ServerV1;

namespace FakeIndexifyServer.Model;

/// <summary>One allocation and its fate.</summary>
internal sealed class AllocationRecord(Allocation allocation, string executorId, long order)
{
    public Allocation Allocation { get; set; } = allocation;

    public string Id => Allocation.AllocationId;

    public string ExecutorId { get; set; } = executorId;

    public string FunctionExecutorId => Allocation.FunctionExecutorId;

    public long Order { get; } = order;

    public AllocationPhase Phase { get; set; } = AllocationPhase.Queued;

    public AllocationResult? AcceptedResult { get; set; }

    /// <summary>Why the server failed it, when it did (a cancellation may be announced with KillAllocation in v2).</summary>
    public AllocationFailureReason? ServerFailureReason { get; set; }

    public bool IsLive => Phase is AllocationPhase.Queued or AllocationPhase.Placed;

    /// <summary>The server looks results up by namespace|application|request_id|allocation_id.</summary>
    public bool Matches(AllocationResult result) =>
        result.Function.Namespace == Allocation.Function.Namespace
        && result.Function.ApplicationName == Allocation.Function.ApplicationName
        && result.RequestId == Allocation.RequestId
        && result.AllocationId == Allocation.AllocationId;
}

using Executor.Protocol.ServerV1;

namespace FakeIndexifyServer;

/// <summary>An allocation the fake failed on its own (executor removed, FE terminated, cancelled, orphaned).</summary>
public sealed record ServerAllocationFailure(
    long Sequence,
    DateTimeOffset At,
    string AllocationId,
    string ExecutorId,
    Allocation Allocation,
    AllocationFailureReason Reason,
    string Cause);

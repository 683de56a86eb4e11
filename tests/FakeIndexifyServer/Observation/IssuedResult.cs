using Executor.Protocol.ServerV2;

namespace FakeIndexifyServer;

/// <summary>A v2 function-call result put in an executor's results outbox for a parent allocation.</summary>
public sealed record IssuedResult(long Sequence, DateTimeOffset At, string ExecutorId, SequencedAllocationResult Result)
{
    public ulong Seq => Result.Seq;

    public string ParentAllocationId => Result.Entry.AllocationId;
}

using ProtoV2 = Executor.Protocol.ServerV2;

namespace Executor.Server.V2;

/// <summary>An outcome from the ExecutorGrain, validated (or quarantined) and mapped once, ready to be offered in heartbeats.</summary>
internal sealed record PreparedOutcome(string AllocationId, Model.AllocationOutcome Source, ProtoV2.AllocationOutcome Wire)
{
    public int Bytes { get; } = MessageBudget.RepeatedFieldBytes(Wire);
}

using ProtoV2 = Executor.Protocol.ServerV2;

namespace Executor.Server.V2;

/// <summary>A call_function log entry waiting for an accepting heartbeat; its callers await <see cref="Accepted"/>.</summary>
internal sealed class QueuedFunctionCall(string key, ProtoV2.AllocationLogEntry entry)
{
    /// <summary>Calling allocation and root call id: a retry of the same call has the same key.</summary>
    public string Key { get; } = key;

    public ProtoV2.AllocationLogEntry Entry { get; } = entry;

    public string AllocationId => Entry.AllocationId;

    public TaskCompletionSource Accepted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Callers waiting for <see cref="Accepted"/>; the call is withdrawn when the last one gives up.</summary>
    public int Waiters { get; set; }

    public static string KeyOf(string allocationId, string rootFunctionCallId) => allocationId + "\n" + rootFunctionCallId;
}

using Executor.Protocol.FunctionExecutorV1;

namespace TestFunctionExecutor;

/// <summary>
/// 0.1.3: the child calls (the SDK's futures) of one allocation by durable id, and what user code
/// waits for on each: the function_call_created ack, the watcher_created ack, the watcher result.
/// As in the real FE a call stops being tracked once its result (or a rejected watcher) arrives, so a
/// later ack for it is "unknown" and ignored.
/// </summary>
internal sealed class ChildCallTable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _active = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Entry> _all = new(StringComparer.Ordinal);

    public Entry Register(string durableId, byte[]? creationFailureMetadata)
    {
        var entry = new Entry(durableId, creationFailureMetadata);
        lock (_gate)
        {
            _active.Add(durableId, entry);
            _all.Add(durableId, entry);
        }

        return entry;
    }

    /// <summary>The call if it is still tracked (its result has not arrived).</summary>
    public Entry? FindActive(string durableId)
    {
        lock (_gate)
        {
            return _active.GetValueOrDefault(durableId);
        }
    }

    /// <summary>The call user code started, tracked or not.</summary>
    public Entry Get(string durableId)
    {
        lock (_gate)
        {
            return _all[durableId];
        }
    }

    public void Untrack(string durableId)
    {
        lock (_gate)
        {
            _active.Remove(durableId);
        }
    }

    /// <summary>One child call and the acks user code waits for.</summary>
    internal sealed class Entry(string durableId, byte[]? creationFailureMetadata)
    {
        public string DurableId { get; } = durableId;

        /// <summary>The metadata sent in function_call_creation_failed, if the call's arguments "failed to serialize".</summary>
        public byte[]? CreationFailureMetadata { get; } = creationFailureMetadata;

        public TaskCompletionSource<AllocationEventFunctionCallCreated> Created { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Set once a watcher was emitted: at most one per call, as the SDK does.</summary>
        public bool WatcherStarted { get; set; }

        public TaskCompletionSource<AllocationEventFunctionCallWatcherCreated> WatcherCreated { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<ChildCallResult> Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

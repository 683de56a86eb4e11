using Executor.Model;
using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.Allocations.ExecutionLog;

/// <summary>Where a durable function call the FE created (named by its durable id) stands in one 0.1.3 allocation.</summary>
internal sealed class DurableCall(string id)
{
    public string Id { get; } = id;

    public DurableCallStage Stage { get; set; } = DurableCallStage.Held;

    public Fe.AllocationExecutionEventCreateFunctionCall? Create { get; init; }

    /// <summary>The FE created a watcher for it (acknowledged).</summary>
    public bool Watched { get; set; }

    /// <summary>Its result is watched through the FE grain.</summary>
    public bool Watching { get; set; }

    /// <summary>Its watcher, without a deadline, holds the allocation's deadline.</summary>
    public bool HoldsDeadline { get; set; }

    public WatcherResultStage Result { get; set; }

    /// <summary>A result that arrived before the watcher.</summary>
    public FunctionCallResultSpec? Buffered { get; set; }
}

internal enum DurableCallStage
{
    /// <summary>Acknowledged, not yet started: it may be the tail call.</summary>
    Held,

    Forwarded,

    TailCall,

    /// <summary>Never started (creation failed, refused, or unknown): a watcher gets a failed result.</summary>
    Failed,
}

internal enum WatcherResultStage
{
    None,

    /// <summary>Being turned into the FE's view (readable BLOBs).</summary>
    Converting,

    Sent,
}

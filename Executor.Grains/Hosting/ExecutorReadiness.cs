namespace Executor.Hosting;

/// <summary>Whether the executor finished starting (drives /monitoring/startup).</summary>
public sealed class ExecutorReadiness
{
    private volatile bool _ready;
    private volatile bool _stopping;

    public bool IsReady => _ready && !_stopping;

    public bool IsStopping => _stopping;

    public void MarkReady() => _ready = true;

    public void MarkStopping() => _stopping = true;
}

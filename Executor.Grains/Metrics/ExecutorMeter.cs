namespace Executor.Metrics;

/// <summary>The one meter every executor instrument hangs off; exported at /monitoring/metrics.</summary>
public static class ExecutorMeter
{
    public const string Name = "Indexify.Executor";
}

namespace Executor.Metrics;

/// <summary>
/// Histogram bucket sets of the upstream executor (executor-behavior.md §14), so dashboards built on
/// upstream histograms keep working: fast (latency of local work), slow, customer (user code) and size in MB.
/// </summary>
public static class MetricBuckets
{
    public static readonly IReadOnlyList<double> Fast = BuildFast();
    public static readonly IReadOnlyList<double> Slow = BuildSlow();
    public static readonly IReadOnlyList<double> Customer = BuildCustomer();
    public static readonly IReadOnlyList<double> SizeMegabytes =
        [0.01, 0.1, 0.5, 1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 150, 200, 1000, 10000];

    private static List<double> BuildFast()
    {
        var b = new List<double>();
        Steps(b, 0.001, 0.010, 0.001);
        Steps(b, 0.015, 0.100, 0.005);
        Steps(b, 0.15, 1.0, 0.05);
        Steps(b, 1.05, 2.0, 0.05);
        Steps(b, 2.1, 3.0, 0.1);
        b.AddRange([3.5, 4, 4.5, 5, 10, 60]);
        return b;
    }

    private static List<double> BuildSlow()
    {
        var b = new List<double>();
        Steps(b, 0.01, 0.1, 0.01);
        Steps(b, 0.2, 0.9, 0.1);
        Steps(b, 1, 10, 1);
        Steps(b, 15, 50, 5);
        b.AddRange([60, 120, 180, 240, 300, 360, 420, 480, 540, 600, 1200]);
        return b;
    }

    private static List<double> BuildCustomer()
    {
        var b = new List<double> { 0.001, 0.005, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5 };
        Steps(b, 1, 10, 1);
        b.AddRange([15, 20, 30, 40, 50, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600, 1200, 1800, 2400, 3000, 3600,
            7200, 10800, 14400, 18000, 36000, 72000, 86400, 172800]);
        return b;
    }

    // Decimal stepping keeps boundaries exact (0.015, not 0.015000000000000001).
    private static void Steps(List<double> into, double from, double to, double step)
    {
        var f = (decimal)from;
        var t = (decimal)to;
        var s = (decimal)step;
        for (var v = f; v <= t; v += s)
        {
            into.Add((double)v);
        }
    }
}

using System.Text.Json.Serialization;

namespace Executor.Bench;

/// <summary>Summary of a sample in milliseconds.</summary>
public sealed record Summary(int Count, double Min, double P50, double P90, double P99, double Max, double Mean)
{
    public static Summary Of(IReadOnlyCollection<double> samples)
    {
        if (samples.Count == 0)
        {
            return new Summary(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        }

        var sorted = samples.Order().ToArray();
        return new Summary(sorted.Length, sorted[0], Percentile(sorted, 0.50), Percentile(sorted, 0.90), Percentile(sorted, 0.99), sorted[^1], sorted.Average());
    }

    /// <summary>Nearest-rank percentile.</summary>
    public static double Percentile(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    public override string ToString() => $"n={Count} p50={P50:0.###} p90={P90:0.###} p99={P99:0.###} max={Max:0.###} ms";
}

/// <summary>One line of the results table.</summary>
public sealed record Figure(string Area, string Name, double Value, string Unit, string? Target, string? Bar, string? Note)
{
    [JsonIgnore]
    public string Verdict => Target is null ? string.Empty : Met is null ? "?" : Met.Value ? "met" : "MISSED";

    /// <summary>True/false when the target is a simple "≤ x" or "≥ x" bound in the same unit.</summary>
    public bool? Met { get; init; }
}

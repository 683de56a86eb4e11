using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Executor.HostResources;

/// <summary>
/// Parses the output of <c>nvidia-smi --query-gpu=index,name,uuid --format=csv,noheader</c>, one GPU per line:
/// <c>0, NVIDIA H100 80GB HBM3, GPU-6cc9aacb-…</c>. Never throws: a line that is not a plausible GPU row
/// (binary junk, too few columns, bad index, duplicate) is skipped with a warning. Extra trailing columns, as in a
/// wider query, are ignored. Unknown models are kept here (and logged); the snapshot decides what is offered.
/// </summary>
public static class NvidiaSmiOutputParser
{
    // Logged lines are cut so a flood of junk cannot bloat the log.
    private const int MaxLoggedLineLength = 200;

    public static IReadOnlyList<GpuDevice> Parse(string? output, ILogger logger)
    {
        var gpus = new List<GpuDevice>();
        if (string.IsNullOrEmpty(output))
        {
            return gpus;
        }

        var lines = output.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var reason = TryParseLine(line, out var gpu);
            if (reason is null && gpus.Any(g => g.Index == gpu!.Index || string.Equals(g.Uuid, gpu.Uuid, StringComparison.OrdinalIgnoreCase)))
            {
                reason = "duplicate index or uuid";
            }

            if (reason is not null)
            {
                logger.NvidiaSmiLineSkipped(i + 1, reason, Printable(line));
                continue;
            }

            if (!gpu!.Model.IsUsable())
            {
                logger.UnknownGpuModel(gpu.ProductName, gpu.Index, gpu.Uuid);
            }

            gpus.Add(gpu);
        }

        return gpus;
    }

    /// <summary>Null on success, otherwise why the line was rejected.</summary>
    private static string? TryParseLine(string line, out GpuDevice? gpu)
    {
        gpu = null;
        if (line.Any(c => char.IsControl(c) && c != '\t') || line.Contains('\uFFFD', StringComparison.Ordinal))
        {
            return "control or undecodable characters";
        }

        var parts = line.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length < 3)
        {
            return $"{parts.Length} column(s), expected index, name, uuid";
        }

        if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            return "index is not a non-negative integer";
        }

        var name = parts[1];
        var uuid = parts[2];
        if (name.Length == 0)
        {
            return "empty product name";
        }

        // nvidia-smi prints "[N/A]" or error text where it cannot read a value; a GPU without a real UUID cannot be
        // addressed reliably, so it is not taken.
        if (uuid.Length == 0 || uuid.Any(char.IsWhiteSpace) || uuid.StartsWith('['))
        {
            return "missing or malformed uuid";
        }

        gpu = new GpuDevice(index, name, uuid, GpuModels.FromProductName(name));
        return null;
    }

    private static string Printable(string line)
    {
        var cleaned = new string(line.Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return cleaned.Length <= MaxLoggedLineLength ? cleaned : cleaned[..MaxLoggedLineLength] + "…";
    }
}

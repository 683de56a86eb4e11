using System.Globalization;

namespace Executor.HostResources;

/// <summary>MiB arithmetic: the Server and upstream work in whole MiB, so reported sizes are floored to them.</summary>
public static class Mebibytes
{
    public const ulong Bytes = 1024UL * 1024UL;

    public static ulong FloorToWholeMiB(ulong bytes) => bytes / Bytes * Bytes;

    /// <summary>"4096 MiB", or with up to two decimals when the amount is not whole MiB.</summary>
    public static string Format(ulong bytes) =>
        bytes % Bytes == 0
            ? (bytes / Bytes).ToString(CultureInfo.InvariantCulture) + " MiB"
            : (bytes / (double)Bytes).ToString("0.##", CultureInfo.InvariantCulture) + " MiB";
}

using System.Runtime.InteropServices;

namespace Executor.Hosting;

/// <summary>
/// Gives back the memory that starting the executor used and freed. Building the host, Orleans' type manifests and
/// the JIT leave a managed heap that is mostly garbage and a native heap with freed blocks; an idle executor allocates
/// too little to trigger a collection, so without this it keeps both for as long as it idles (4–5 MiB of RSS;
/// BENCHMARKS.md, round three). Optionally it also hands the code and metadata pages that only startup touched back to
/// the kernel (about 20 MiB of file-backed RSS; round four): they are clean, so the kernel drops them and reads them back
/// on the rare later use, as it would under memory pressure anyway.
/// </summary>
internal static class StartupMemoryTrim
{
    // madvise(2): reclaim these pages now (Linux 5.4+; older kernels answer EINVAL and nothing happens).
    private const int MadvPageout = 21;

    /// <summary>
    /// One blocking, compacting full collection that decommits what it frees, then glibc's <c>malloc_trim</c>, then
    /// (when <paramref name="releaseFileMappedPages"/>) the file-backed pages of the executable and its libraries.
    /// </summary>
    public static void Run(bool releaseFileMappedPages)
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        TrimNativeHeap();
        if (releaseFileMappedPages)
        {
            ReleaseFileMappedPages();
        }
    }

    /// <summary>
    /// MADV_PAGEOUT over every mapping of a regular file (assemblies inside the single-file bundle, native libraries).
    /// The runtime's JIT double-mapping (memfd) and anonymous memory are left alone: they are not file-backed, so the
    /// kernel could only swap them. Pages the idle executor keeps using fault back in within seconds.
    /// </summary>
    private static void ReleaseFileMappedPages()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            foreach (var line in File.ReadLines("/proc/self/maps"))
            {
                // "start-end perms offset dev inode path"
                var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 6 || !fields[5].StartsWith('/') || fields[5].StartsWith("/memfd:", StringComparison.Ordinal))
                {
                    continue;
                }

                var dash = fields[0].IndexOf('-', StringComparison.Ordinal);
                var start = ulong.Parse(fields[0].AsSpan(0, dash), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
                var end = ulong.Parse(fields[0].AsSpan(dash + 1), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
                _ = madvise((nint)start, (nuint)(end - start), MadvPageout);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or EntryPointNotFoundException or DllNotFoundException)
        {
            // Best effort: a memory optimisation never stops the executor.
        }
    }

    [DllImport("libc")]
    private static extern int madvise(nint address, nuint length, int advice);

    private static void TrimNativeHeap()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            // Returns whole free pages of every malloc arena to the kernel (JIT and runtime scratch memory of the start).
            _ = malloc_trim(0);
        }
        catch (EntryPointNotFoundException)
        {
            // Not glibc (e.g. musl): nothing to trim this way.
        }
        catch (DllNotFoundException)
        {
        }
    }

    // DllImport rather than LibraryImport: a blittable signature needs no marshalling code and no AllowUnsafeBlocks.
    [DllImport("libc")]
    private static extern int malloc_trim(nuint pad);
}

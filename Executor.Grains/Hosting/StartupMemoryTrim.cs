using System.Runtime.InteropServices;

namespace Executor.Hosting;

/// <summary>
/// Gives back the memory that starting the executor used and freed. Building the host, Orleans' type manifests and
/// the JIT leave a managed heap that is mostly garbage and a native heap with freed blocks; an idle executor allocates
/// too little to trigger a collection, so without this it keeps both for as long as it idles (4–5 MiB of RSS;
/// BENCHMARKS.md, round three).
/// </summary>
internal static class StartupMemoryTrim
{
    /// <summary>One blocking, compacting full collection that decommits what it frees, then glibc's <c>malloc_trim</c>.</summary>
    public static void Run()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        TrimNativeHeap();
    }

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

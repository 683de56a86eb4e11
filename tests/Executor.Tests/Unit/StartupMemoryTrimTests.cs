using Executor.Hosting;
using Xunit;

namespace Executor.Tests.Unit;

/// <summary>The memory given back after startup: file-backed pages go back to the kernel only when asked.</summary>
public sealed class StartupMemoryTrimTests
{
    [Fact]
    public void ReleasingFileMappedPagesShrinksTheFileBackedResidentSetOfTheProcess()
    {
        // This test process has mapped and touched tens of MiB of assemblies and native libraries by now.
        var before = RssFileKib();
        StartupMemoryTrim.Run(releaseFileMappedPages: true);
        var after = RssFileKib();

        Assert.True(after < before - 4 * 1024, $"RssFile {before} KiB -> {after} KiB: expected at least 4 MiB released");
    }

    [Fact]
    public void WithoutReleaseOnlyHeapsAreTrimmedAndFileBackedPagesStay()
    {
        var before = RssFileKib();
        StartupMemoryTrim.Run(releaseFileMappedPages: false);
        var after = RssFileKib();

        // A collection touches some more code; it never gives file-backed pages away by itself.
        Assert.True(after >= before - 1024, $"RssFile {before} KiB -> {after} KiB");
    }

    private static long RssFileKib()
    {
        var line = File.ReadLines("/proc/self/status").Single(l => l.StartsWith("RssFile:", StringComparison.Ordinal));
        return long.Parse(line["RssFile:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
    }
}

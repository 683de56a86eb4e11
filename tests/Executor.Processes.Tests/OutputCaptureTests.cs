using System.Text;
using Xunit.Abstractions;

namespace Executor.Processes.Tests;

public sealed class OutputCaptureTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly ProcessTestBed _bed = new(output);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    [Fact]
    public async Task Stdout_and_stderr_go_to_a_bounded_log_file_and_the_tail_stays_current()
    {
        const int limit = 4096;
        var options = _bed.Options(o => o.DiagnosticsLogMaxBytes = limit);
        var extra = new Dictionary<string, string> { ["FAKE_FE_SPAM_BYTES"] = "200000" };

        var process = await _bed.LaunchAsync(_bed.Request("fe-spam", "spam", extra), options);
        Assert.Equal(Path.Combine(_bed.CachePath, "fe-logs", "fe-spam.log"), process.DiagnosticsLogPath);

        // Two pipes are pumped concurrently, so their relative order is not fixed: wait for both markers before flooding.
        await ProcessTestBed.WaitUntilAsync(
            () => ReadShared(process.DiagnosticsLogPath) is var early && early.Contains("stderr-marker", StringComparison.Ordinal) && early.Contains("stdout-marker", StringComparison.Ordinal),
            "both streams were captured");
        await FakeFunctionExecutorClient.SendAsync(process.Port, "spam");

        await ProcessTestBed.WaitUntilAsync(() => ReadShared(process.DiagnosticsLogPath).EndsWith("\n[truncated]\n", StringComparison.Ordinal), "the log was truncated");
        var text = ReadShared(process.DiagnosticsLogPath);
        Assert.Equal(limit + "\n[truncated]\n".Length, Encoding.UTF8.GetByteCount(text));
        Assert.Contains("fake-fe pid=", text, StringComparison.Ordinal);
        Assert.Contains("stderr-marker", text, StringComparison.Ordinal);
        Assert.Matches("(ooooo|eeeee)", text);
        Assert.Equal(2, text.Split("[truncated]").Length);

        // The fake FE serves one connection at a time, so it exits only after all output was written.
        await FakeFunctionExecutorClient.SendExitAsync(process.Port, 0);
        var exit = await process.Exited.WaitAsync(ProcessTestBed.Patience);

        // Output past the file limit is still read (the child never blocks) and kept in the in-memory tail.
        Assert.Contains("spam-done", exit.DiagnosticsTail, StringComparison.Ordinal);
        Assert.Equal(limit + "\n[truncated]\n".Length, Encoding.UTF8.GetByteCount(ReadShared(process.DiagnosticsLogPath)));
    }

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}

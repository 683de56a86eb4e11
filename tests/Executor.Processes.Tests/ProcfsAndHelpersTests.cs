using Executor.FunctionExecutors.Processes;
using Executor.Testing;

namespace Executor.Processes.Tests;

public sealed class ProcfsAndHelpersTests
{
    [Fact]
    public void Parses_stat_lines_whose_command_contains_spaces_and_parentheses()
    {
        var line = "4242 (evil ) (name) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10 18446744073709551615";

        Assert.True(ProcStat.TryParse(line, out var stat));

        Assert.Equal(4242, stat.Pid);
        Assert.Equal('S', stat.State);
        Assert.Equal(1, stat.ParentPid);
        Assert.Equal(4242, stat.ProcessGroupId);
        Assert.Equal(4242, stat.SessionId);
        Assert.Equal(987654UL, stat.StartTime);
    }

    [Fact]
    public void Reads_the_current_process()
    {
        Assert.True(ProcStat.TryRead(Environment.ProcessId, out var stat));
        Assert.Equal(Environment.ProcessId, stat.Pid);
        Assert.True(stat.StartTime > 0);
        Assert.False(stat.IsZombie);
    }

    [Theory]
    [InlineData(0, 0, null)]
    [InlineData(3, 3, null)]
    [InlineData(128, 128, null)]
    [InlineData(137, null, 9)]
    [InlineData(143, null, 15)]
    [InlineData(255, 255, null)]
    public void Decodes_dotnet_exit_codes(int raw, int? exitCode, int? signal)
    {
        Assert.Equal((exitCode, signal), ExitStatus.Decode(raw));
    }

    [Fact]
    public void Ids_become_safe_file_names()
    {
        Assert.Equal("fe-1_a.b", FileNames.Safe("fe-1_a.b"));
        var unsafeName = FileNames.Safe("../../etc/passwd");
        Assert.DoesNotContain('/', unsafeName);
        Assert.False(unsafeName.StartsWith('.'));
        Assert.NotEqual(FileNames.Safe("a/b"), FileNames.Safe("a_b"));
    }

    [Fact]
    public void Resolves_bare_names_on_the_given_path_and_rejects_non_executables()
    {
        using var temp = new TempDirectory();
        var executable = temp.Combine("my-fe");
        File.WriteAllText(executable, "#!/bin/sh\n");
        File.SetUnixFileMode(executable, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var plain = temp.Combine("not-executable");
        File.WriteAllText(plain, "data");

        Assert.Equal(executable, ExecutableResolver.Resolve("my-fe", "/nonexistent:" + temp.Path));
        Assert.Equal(executable, ExecutableResolver.Resolve(executable, null));
        Assert.Null(ExecutableResolver.Resolve("not-executable", temp.Path));
        Assert.Null(ExecutableResolver.Resolve("my-fe", "/nonexistent"));
    }

    [Fact]
    public void Reads_oom_kill_counters_from_event_files()
    {
        using var temp = new TempDirectory();
        var events = temp.Combine("memory.events");
        File.WriteAllText(events, "low 0\nhigh 0\nmax 3\noom 2\noom_kill 5\noom_group_kill 0\n");

        Assert.Equal(5, OomKillCounter.ReadCounter(events, "oom_kill"));
        Assert.Null(OomKillCounter.ReadCounter(temp.Combine("missing"), "oom_kill"));
        Assert.NotNull(OomKillCounter.ForCurrentProcess().Snapshot());
    }

    [Fact]
    public async Task Diagnostics_log_keeps_only_the_last_bytes_in_memory()
    {
        using var temp = new TempDirectory();
        var log = new DiagnosticsLog(temp.Combine("x.log"), maxBytes: 1024);
        await using (log)
        {
            await log.AppendAsync(new byte[DiagnosticsLog.TailCapacity]);
            await log.AppendAsync("the end"u8.ToArray());

            var tail = log.Tail()!;
            Assert.Equal(DiagnosticsLog.TailCapacity, tail.Length);
            Assert.EndsWith("the end", tail, StringComparison.Ordinal);
        }

        Assert.Equal(1024 + "\n[truncated]\n".Length, new FileInfo(temp.Combine("x.log")).Length);
    }

    [Fact]
    public async Task Diagnostics_tail_wraps_correctly_across_many_odd_sized_writes()
    {
        using var temp = new TempDirectory();
        await using var log = new DiagnosticsLog(temp.Combine("y.log"), maxBytes: 1 << 20);
        var all = new System.Text.StringBuilder();
        for (var i = 0; i < 500; i++)
        {
            var chunk = $"line {i} " + new string((char)('a' + (i % 26)), i % 97) + "\n";
            all.Append(chunk);
            await log.AppendAsync(System.Text.Encoding.ASCII.GetBytes(chunk));
        }

        var expected = all.ToString();
        Assert.Equal(expected[^DiagnosticsLog.TailCapacity..], log.Tail());
        Assert.Equal(expected, await File.ReadAllTextAsync(temp.Combine("y.log")));
    }
}

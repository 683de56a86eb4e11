using System.Text.Json;
using Executor.FunctionExecutors.Processes;
using Xunit.Abstractions;

namespace Executor.Processes.Tests;

public sealed class OrphanReaperTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly ProcessTestBed _bed = new(output);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    [Fact]
    public async Task Kills_the_process_group_a_dead_executor_left_behind()
    {
        // The "dead executor" never stops its FE: only the pid record remains for the next one.
        var process = await _bed.LaunchAsync(_bed.Request("fe-orphan", "grandchild"));
        var grandchild = _bed.ReadRecord("fe-orphan").Grandchild!.Value;
        var feStart = ProcessTestBed.StartTimeOf(process.ProcessId);
        var grandchildStart = ProcessTestBed.StartTimeOf(grandchild);
        Assert.True(File.Exists(_bed.PidRecordPath("fe-orphan")));

        var killed = await _bed.Reaper().ReapAsync(CancellationToken.None).WaitAsync(ProcessTestBed.Patience);

        Assert.Equal(1, killed);
        Assert.False(ProcessTestBed.IsAlive(process.ProcessId, feStart));
        Assert.False(ProcessTestBed.IsAlive(grandchild, grandchildStart));
        Assert.False(File.Exists(_bed.PidRecordPath("fe-orphan")));
        var exit = await process.Exited.WaitAsync(ProcessTestBed.Patience);
        Assert.Equal(Libc.SIGKILL, exit.Signal);
    }

    [Fact]
    public async Task Kills_leftover_group_members_when_the_recorded_process_itself_is_gone()
    {
        var process = await _bed.LaunchAsync(_bed.Request("fe-leaderless", "orphan"));
        var grandchild = _bed.ReadRecord("fe-leaderless").Grandchild!.Value;
        var grandchildStart = ProcessTestBed.StartTimeOf(grandchild);
        await FakeFunctionExecutorClient.SendExitAsync(process.Port, 0);
        await process.Exited.WaitAsync(ProcessTestBed.Patience);
        Assert.True(ProcessTestBed.IsAlive(grandchild, grandchildStart), "the grandchild outlived the FE");

        var killed = await _bed.Reaper().ReapAsync(CancellationToken.None).WaitAsync(ProcessTestBed.Patience);

        Assert.Equal(1, killed);
        Assert.False(ProcessTestBed.IsAlive(grandchild, grandchildStart));
    }

    [Fact]
    public async Task Leaves_a_process_alone_when_the_recorded_pid_now_belongs_to_another_process()
    {
        var sleeper = _bed.StartSleep();
        var realStart = ProcessTestBed.StartTimeOf(sleeper.Id);
        var path = WriteRecord("fe-recycled", sleeper.Id, realStart - 1);

        var killed = await _bed.Reaper().ReapAsync(CancellationToken.None).WaitAsync(ProcessTestBed.Patience);

        Assert.Equal(0, killed);
        Assert.True(ProcessTestBed.IsAlive(sleeper.Id, realStart));
        Assert.False(sleeper.HasExited);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task Deletes_records_of_vanished_processes_and_unreadable_records()
    {
        var sleeper = _bed.StartSleep();
        var start = ProcessTestBed.StartTimeOf(sleeper.Id);
        sleeper.Kill();
        await sleeper.WaitForExitAsync().WaitAsync(ProcessTestBed.Patience);
        var vanished = WriteRecord("fe-vanished", sleeper.Id, start);
        var garbage = Path.Combine(_bed.CachePath, "fe-processes", "fe-garbage.json");
        await File.WriteAllTextAsync(garbage, "{ not json");

        var killed = await _bed.Reaper().ReapAsync(CancellationToken.None).WaitAsync(ProcessTestBed.Patience);

        Assert.Equal(0, killed);
        Assert.False(File.Exists(vanished));
        Assert.False(File.Exists(garbage));
    }

    [Fact]
    public async Task An_empty_or_missing_record_directory_reaps_nothing()
    {
        Assert.Equal(0, await _bed.Reaper().ReapAsync(CancellationToken.None));
    }

    private string WriteRecord(string feId, int pid, ulong startTime)
    {
        var record = new PidRecord(feId, pid, startTime, BootId.Value, OwnsProcessGroup: true, ExecutorPid: 1, Command: "test", Port: 1, DateTimeOffset.UtcNow);
        return new PidRecordStore(Path.Combine(_bed.CachePath, "fe-processes")).Write(record);
    }
}

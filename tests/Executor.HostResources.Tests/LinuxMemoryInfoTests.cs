using Executor.HostResources.Tests.Fakes;

namespace Executor.HostResources.Tests;

public sealed class LinuxMemoryInfoTests
{
    [Fact]
    public void MemTotal_is_read_in_bytes()
    {
        const string meminfo = "MemFree:         1000 kB\nMemTotal:       131981020 kB\nMemAvailable:   2000 kB\n";

        Assert.Equal(131981020UL * 1024, LinuxMemoryInfo.ParseMemTotalBytes(meminfo));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("MemFree: 1 kB")]
    [InlineData("MemTotal: lots kB")]
    [InlineData("MemTotal: 12 MB")]
    [InlineData("MemTotal: -12 kB")]
    [InlineData("MemTotal: 99999999999999999999 kB")]
    public void Malformed_meminfo_is_null(string? meminfo) => Assert.Null(LinuxMemoryInfo.ParseMemTotalBytes(meminfo));

    [Theory]
    [InlineData("max\n", null)]
    [InlineData("1073741824\n", 1073741824UL)]
    [InlineData("9223372036854771712", null)]
    [InlineData("garbage", null)]
    [InlineData("", null)]
    public void Limit_files_are_parsed(string content, ulong? expected) => Assert.Equal(expected, LinuxMemoryInfo.ParseLimit(content));

    [Fact]
    public void Cgroup_v2_lowest_limit_on_the_path_wins()
    {
        var fs = new FakeHostFileSystem();
        fs.Files["/proc/self/cgroup"] = "0::/system.slice/executor.service\n";
        fs.Files["/sys/fs/cgroup/system.slice/executor.service/memory.max"] = "max\n";
        fs.Files["/sys/fs/cgroup/system.slice/memory.max"] = "4294967296\n";

        Assert.Equal(4294967296UL, LinuxMemoryInfo.ReadCgroupMemoryLimit(fs));
    }

    [Fact]
    public void Cgroup_v2_inside_a_namespace_reads_the_mount_root()
    {
        var fs = new FakeHostFileSystem();
        fs.Files["/proc/self/cgroup"] = "0::/\n";
        fs.Files["/sys/fs/cgroup/memory.max"] = "2147483648\n";

        Assert.Equal(2147483648UL, LinuxMemoryInfo.ReadCgroupMemoryLimit(fs));
    }

    [Fact]
    public void Cgroup_v1_memory_controller_is_honoured_on_hybrid_hosts()
    {
        var fs = new FakeHostFileSystem();
        fs.Files["/proc/self/cgroup"] = "4:memory:/process_api/abc\n3:cpu,cpuacct:/\n0::/\n";
        fs.Files["/sys/fs/cgroup/memory/memory.limit_in_bytes"] = "9223372036854771712\n";
        fs.Files["/sys/fs/cgroup/memory/process_api/abc/memory.limit_in_bytes"] = "536870912\n";

        Assert.Equal(536870912UL, LinuxMemoryInfo.ReadCgroupMemoryLimit(fs));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("garbage\n\u0001\u0002")]
    [InlineData("0::/\n")]
    public void No_readable_limit_is_null(string? selfCgroup)
    {
        var fs = new FakeHostFileSystem();
        if (selfCgroup is not null)
        {
            fs.Files["/proc/self/cgroup"] = selfCgroup;
        }

        Assert.Null(LinuxMemoryInfo.ReadCgroupMemoryLimit(fs));
    }
}

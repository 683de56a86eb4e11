using Executor.Configuration;
using Executor.Testing;
using Xunit;

namespace Executor.Tests.Unit;

/// <summary>python_major_version / python_minor_version come from the interpreter behind the FE's console script.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PythonVersionProbeTests
{
    [Fact]
    public async Task ReadsTheVersionOfTheInterpreterNamedByTheShebang()
    {
        using var temp = new TempDirectory();
        var fakePython = temp.Combine("python3.42");
        File.WriteAllText(fakePython, "#!/bin/sh\necho 3 42\n");
        File.SetUnixFileMode(fakePython, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var script = temp.Combine("function-executor");
        File.WriteAllText(script, $"#!{fakePython}\nimport sys\n");

        var version = await PythonVersionProbe.DetectAsync(script, CancellationToken.None);

        Assert.Equal(("3", "42"), version);
    }

    [Fact]
    public async Task NonScriptsAndMissingCommandsGiveNoVersion()
    {
        Assert.Null(await PythonVersionProbe.DetectAsync(RepositoryPaths.TestFunctionExecutor, CancellationToken.None));
        Assert.Null(await PythonVersionProbe.DetectAsync("no-such-function-executor-on-path", CancellationToken.None));
    }
}

using System.Diagnostics;
using TestFunctionExecutor.Tests.Infrastructure;

namespace TestFunctionExecutor.Tests;

/// <summary>sleep (time from the input) and sleep_N (time from the name).</summary>
public sealed class SleepTests
{
    [Fact]
    public async Task Sleep_takes_its_time_from_the_input_then_echoes()
    {
        var (fe, dir) = await SingleUse.StartAsync(TestFunctions.Sleep);
        await using var _ = fe;
        using var __ = dir;
        var peer = new ExecutorPeer(fe.Client, dir);

        async Task Check(string id, string input, int milliseconds)
        {
            var stopwatch = Stopwatch.StartNew();
            var run = await peer.RunAsync(AllocationInputs.Json(dir, id, input));
            Assert.True(stopwatch.ElapsedMilliseconds >= milliseconds, $"{id} took {stopwatch.ElapsedMilliseconds} ms");
            Assert.Equal(input, run.ReadValueText());
        }

        // A bare JSON number, or the sleep_ms field; both run at once on one FE.
        await Task.WhenAll(Check("sleep-number", "300", 300), Check("sleep-field", """{"sleep_ms":250}""", 250));
    }

    [Fact]
    public async Task Sleep_suffix_sets_the_time()
    {
        var (fe, dir) = await SingleUse.StartAsync(TestFunctions.SleepFor(200));
        await using var _ = fe;
        using var __ = dir;

        var stopwatch = Stopwatch.StartNew();
        var run = await new ExecutorPeer(fe.Client, dir).RunAsync(AllocationInputs.Json(dir, "sleep-suffix", """{"any":"input"}"""));

        Assert.True(stopwatch.ElapsedMilliseconds >= 200, $"allocation took {stopwatch.ElapsedMilliseconds} ms");
        Assert.Equal("""{"any":"input"}""", run.ReadValueText());
    }
}

using System.Text.Json;
using Executor.Protocol.FunctionExecutorV1;
using TestFunctionExecutor.Tests.Infrastructure;

namespace TestFunctionExecutor.Tests;

/// <summary>progress_N_MS, big_output_N, env.</summary>
public sealed class OutputBehaviourTests
{
    [Fact]
    public async Task Progress_is_reported_in_the_state_stream_before_the_echo()
    {
        var (fe, dir) = await SingleUse.StartAsync(TestFunctions.Progress(3, 30));
        await using var _ = fe;
        using var __ = dir;

        var run = await new ExecutorPeer(fe.Client, dir).RunAsync(AllocationInputs.Json(dir, "progress", "\"p\""));

        Assert.Equal("\"p\"", run.ReadValueText());
        // Snapshots may coalesce, but progress only grows and ends at 3 of 3.
        var seen = run.States.Where(s => s.Progress is not null).Select(s => s.Progress.Current).ToList();
        Assert.NotEmpty(seen);
        Assert.Equal(seen.Order().ToList(), seen);
        Assert.Equal(3f, run.States[^1].Progress.Current);
        Assert.Equal(3f, run.States[^1].Progress.Total);
    }

    [Fact]
    public async Task Big_output_fills_every_chunk_with_the_deterministic_pattern()
    {
        const long size = 2_500;
        var (fe, dir) = await SingleUse.StartAsync(TestFunctions.BigOutput(size));
        await using var _ = fe;
        using var __ = dir;

        var run = await new ExecutorPeer(fe.Client, dir) { OutputChunkSize = 1_000 }.RunAsync(AllocationInputs.Json(dir, "big", "{}"));

        var expected = new byte[size];
        TestFunctions.FillPattern(TestFunctions.PatternSeed(run.AllocationId), 0, expected);
        Assert.Equal(expected, run.ReadValue());
        Assert.Equal([1_000UL, 1_000UL, 500UL], run.Result.UploadedFunctionOutputsBlob.Chunks.Select(c => c.Size));
        Assert.Equal(FileBlobs.Sha256(expected), run.Result.Value.Manifest.Sha256Hash);
        Assert.Equal(SerializedObjectEncoding.Raw, run.Result.Value.Manifest.Encoding);
    }

    [Fact]
    public async Task Env_returns_the_process_environment()
    {
        var environment = new Dictionary<string, string> { ["CUDA_VISIBLE_DEVICES"] = "1,3", ["TEST_FE_MARKER"] = "marker-value" };
        var (fe, dir) = await SingleUse.StartAsync(TestFunctions.Env, environment);
        await using var _ = fe;
        using var __ = dir;

        var run = await new ExecutorPeer(fe.Client, dir).RunAsync(AllocationInputs.Json(dir, "env", "{}"));

        Assert.Equal(SerializedObjectEncoding.Utf8Json, run.Result.Value.Manifest.Encoding);
        var variables = JsonSerializer.Deserialize<Dictionary<string, string>>(run.ReadValue())!;
        Assert.Equal("1,3", variables["CUDA_VISIBLE_DEVICES"]);
        Assert.Equal("marker-value", variables["TEST_FE_MARKER"]);
    }
}

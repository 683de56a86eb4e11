using Executor.HostResources.Tests.Fakes;

namespace Executor.HostResources.Tests;

public sealed class NvidiaSmiOutputParserTests
{
    private readonly CapturingLogger<NvidiaSmiOutputParserTests> _log = new();

    [Fact]
    public void Real_H100_query_output_gives_one_H100_with_its_uuid()
    {
        var gpus = NvidiaSmiOutputParser.Parse(Fixtures.NvidiaSmi("nvidia-smi-query-h100.csv"), _log);

        var gpu = Assert.Single(gpus);
        Assert.Equal(new GpuDevice(0, "NVIDIA H100 80GB HBM3", Fixtures.H100Uuid, GpuModel.H100_80GB), gpu);
        Assert.Empty(_log.Warnings);
    }

    [Fact]
    public void Real_extended_query_output_uses_the_first_three_columns()
    {
        var gpus = NvidiaSmiOutputParser.Parse(Fixtures.NvidiaSmi("nvidia-smi-query-extended-h100.csv"), _log);

        var gpu = Assert.Single(gpus);
        Assert.Equal(new GpuDevice(0, "NVIDIA H100 80GB HBM3", Fixtures.H100Uuid, GpuModel.H100_80GB), gpu);
    }

    [Theory]
    [InlineData("nvidia-smi-plain-h100.txt")]
    [InlineData("nvidia-smi-L-h100.txt")]
    [InlineData("nvidia-smi-q-h100.xml")]
    public void Other_real_nvidia_smi_formats_do_not_crash_and_yield_no_gpu(string fixture)
    {
        var gpus = NvidiaSmiOutputParser.Parse(Fixtures.NvidiaSmi(fixture), _log);

        Assert.Empty(gpus);
    }

    [Fact]
    public void Multi_gpu_output_with_mixed_and_unknown_models()
    {
        const string output = """
            0, NVIDIA A100-SXM4-80GB, GPU-00000000-0000-0000-0000-000000000000
            1, NVIDIA A100 80GB PCIe, GPU-11111111-1111-1111-1111-111111111111
            2, NVIDIA GeForce RTX 4090, GPU-22222222-2222-2222-2222-222222222222
            3, Tesla T4, GPU-33333333-3333-3333-3333-333333333333
            """;

        var gpus = NvidiaSmiOutputParser.Parse(output.Replace("\n", "\r\n", StringComparison.Ordinal), _log);

        Assert.Equal([0, 1, 2, 3], gpus.Select(g => g.Index));
        Assert.Equal([GpuModel.A100_80GB, GpuModel.A100_80GB, GpuModel.Unknown, GpuModel.TeslaT4], gpus.Select(g => g.Model));
        Assert.Equal("GPU-22222222-2222-2222-2222-222222222222", gpus[2].Uuid);
        var warning = Assert.Single(_log.Warnings);
        Assert.Equal(1101, warning.EventId);
        Assert.Contains("NVIDIA GeForce RTX 4090", warning.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n   \n")]
    [InlineData("No devices were found")]
    [InlineData("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.")]
    [InlineData("0, NVIDIA H100 80GB HBM3")]
    [InlineData("0")]
    [InlineData(",,")]
    [InlineData("x, NVIDIA H100 80GB HBM3, GPU-6cc9aacb-5f8e-6431-8634-12814ed03509")]
    [InlineData("-1, NVIDIA H100 80GB HBM3, GPU-6cc9aacb-5f8e-6431-8634-12814ed03509")]
    [InlineData("0, , GPU-6cc9aacb-5f8e-6431-8634-12814ed03509")]
    [InlineData("0, NVIDIA H100 80GB HBM3, [N/A]")]
    [InlineData("0, NVIDIA H100 80GB HBM3, GPU 6cc9")]
    [InlineData("0, NVIDIA H100 80GB HBM3,")]
    [InlineData("0,\u0000NVIDIA H100 80GB HBM3\u0007, GPU-6cc9")]
    public void Garbage_yields_no_gpu_and_no_exception(string output)
    {
        Assert.Empty(NvidiaSmiOutputParser.Parse(output, _log));
    }

    [Fact]
    public void Binary_junk_is_skipped_with_bounded_warnings()
    {
        var random = new Random(1234);
        var bytes = new byte[64 * 1024];
        random.NextBytes(bytes);
        var junk = System.Text.Encoding.UTF8.GetString(bytes);

        var gpus = NvidiaSmiOutputParser.Parse(junk, _log);

        Assert.Empty(gpus);
        Assert.All(_log.Warnings, w => Assert.True(w.Message.Length < 400, "a skipped line is logged truncated"));
    }

    [Fact]
    public void Good_lines_survive_among_bad_ones_and_duplicates_are_dropped()
    {
        const string output = """
            Failed to initialize NVML: Unknown Error
            0, NVIDIA H100 80GB HBM3, GPU-aaaaaaaa-0000-0000-0000-000000000000
            1, NVIDIA H100 80GB HBM3
            0, NVIDIA H100 80GB HBM3, GPU-bbbbbbbb-0000-0000-0000-000000000000
            2, NVIDIA H100 80GB HBM3, GPU-AAAAAAAA-0000-0000-0000-000000000000
            3, NVIDIA H100 80GB HBM3, GPU-cccccccc-0000-0000-0000-000000000000
            """;

        var gpus = NvidiaSmiOutputParser.Parse(output, _log);

        Assert.Equal([0, 3], gpus.Select(g => g.Index));
        Assert.Equal(4, _log.Warnings.Count(w => w.EventId == 1102));
    }

    [Fact]
    public void Null_output_is_no_gpus() => Assert.Empty(NvidiaSmiOutputParser.Parse(null, _log));
}

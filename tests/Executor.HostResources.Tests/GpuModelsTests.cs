namespace Executor.HostResources.Tests;

public sealed class GpuModelsTests
{
    [Theory]
    [InlineData("NVIDIA H100 80GB HBM3", GpuModel.H100_80GB)]
    [InlineData("NVIDIA A100-SXM4-80GB", GpuModel.A100_80GB)]
    [InlineData("NVIDIA A100-SXM4-40GB", GpuModel.A100_40GB)]
    [InlineData("NVIDIA A100-PCIE-40GB", GpuModel.A100_40GB)]
    [InlineData("Tesla T4", GpuModel.TeslaT4)]
    [InlineData("NVIDIA RTX A6000", GpuModel.A6000)]
    [InlineData("NVIDIA A10", GpuModel.A10)]
    [InlineData("NVIDIA A10G", GpuModel.A10)]
    [InlineData("  NVIDIA A10  ", GpuModel.A10)]
    [InlineData("NVIDIA H100 PCIe", GpuModel.Unknown)]
    [InlineData("NVIDIA GeForce RTX 4090", GpuModel.Unknown)]
    [InlineData("nvidia h100 80gb hbm3", GpuModel.Unknown)]
    [InlineData("", GpuModel.Unknown)]
    [InlineData(null, GpuModel.Unknown)]
    public void Maps_product_names_as_upstream(string? name, GpuModel expected) => Assert.Equal(expected, GpuModels.FromProductName(name));

    [Theory]
    [InlineData("NVIDIA A100 80GB PCIe", GpuModel.A100_80GB)]
    [InlineData("NVIDIA A100 40GB PCIe", GpuModel.A100_40GB)]
    [InlineData("NVIDIA A100-PCIE", GpuModel.Unknown)]
    public void A100_names_never_fall_through_to_A10(string name, GpuModel expected)
    {
        // Upstream reported these as A10 (its A100 rules required the name to END in 80GB/40GB).
        Assert.Equal(expected, GpuModels.FromProductName(name));
    }

    [Fact]
    public void Only_known_models_are_usable()
    {
        Assert.False(GpuModel.Unknown.IsUsable());
        Assert.False(((GpuModel)42).IsUsable());
        Assert.All(Enum.GetValues<GpuModel>().Where(m => m != GpuModel.Unknown), m => Assert.True(m.IsUsable()));
    }
}

namespace Executor.HostResources.Tests;

public sealed class GpuVisibilityTests
{
    private static readonly GpuDevice[] Gpus =
    [
        new(1, "NVIDIA A10", "GPU-1111", GpuModel.A10),
        new(3, "NVIDIA A10", "GPU-3333", GpuModel.A10),
    ];

    [Fact]
    public void Uuids_by_default()
    {
        var env = GpuVisibility.EnvironmentFor(Gpus);

        Assert.Equal("GPU-1111,GPU-3333", env["CUDA_VISIBLE_DEVICES"]);
        Assert.Equal("GPU-1111,GPU-3333", env["NVIDIA_VISIBLE_DEVICES"]);
        Assert.False(env.ContainsKey("CUDA_DEVICE_ORDER"));
    }

    [Fact]
    public void Indices_pin_pci_bus_order()
    {
        var env = GpuVisibility.EnvironmentFor(Gpus, GpuVisibilityMode.Index);

        Assert.Equal("1,3", env["CUDA_VISIBLE_DEVICES"]);
        Assert.Equal("1,3", env["NVIDIA_VISIBLE_DEVICES"]);
        Assert.Equal("PCI_BUS_ID", env["CUDA_DEVICE_ORDER"]);
    }

    [Fact]
    public void No_gpus_hides_all_gpus()
    {
        var env = GpuVisibility.EnvironmentFor([]);

        Assert.Equal(string.Empty, env["CUDA_VISIBLE_DEVICES"]);
        Assert.Equal("none", env["NVIDIA_VISIBLE_DEVICES"]);
    }
}

namespace Executor.HostResources;

/// <summary>
/// GPU models the platform can schedule on (the domain twin of the protocol's GPUModel enum; the member order
/// matches its numbers so a mapping stays obvious). <see cref="Unknown"/> GPUs are never offered to the Server.
/// </summary>
public enum GpuModel
{
    Unknown = 0,
    A100_40GB = 1,
    A100_80GB = 2,
    H100_80GB = 3,
    TeslaT4 = 4,
    A6000 = 5,
    A10 = 6,
}

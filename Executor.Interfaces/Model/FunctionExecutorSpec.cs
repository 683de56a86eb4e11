namespace Executor.Model;

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

[GenerateSerializer, Immutable, Alias("Executor.Model.GpuRequest")]
public sealed record GpuRequest([property: Id(0)] uint Count, [property: Id(1)] GpuModel Model);

/// <summary>Resources the Server granted one FE; 1000 cpu_ms_per_sec is one core.</summary>
[GenerateSerializer, Immutable, Alias("Executor.Model.FunctionExecutorResources")]
public sealed record FunctionExecutorResources(
    [property: Id(0)] uint CpuMsPerSec,
    [property: Id(1)] ulong MemoryBytes,
    [property: Id(2)] ulong DiskBytes,
    [property: Id(3)] GpuRequest? Gpu);

/// <summary>What the Server wants one Function Executor to be. Immutable once received.</summary>
[GenerateSerializer, Immutable, Alias("Executor.Model.FunctionExecutorSpec")]
public sealed record FunctionExecutorSpec
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public required FunctionRef Function { get; init; }
    [Id(2)] public IReadOnlyList<string> SecretNames { get; init; } = [];
    [Id(3)] public uint InitializationTimeoutMs { get; init; }
    [Id(4)] public DataPayloadRef? Application { get; init; }
    [Id(5)] public required FunctionExecutorResources Resources { get; init; }
    [Id(6)] public uint MaxConcurrency { get; init; }
    [Id(7)] public uint AllocationTimeoutMs { get; init; }
    [Id(8)] public bool IsSandbox { get; init; }
}

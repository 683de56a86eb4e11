namespace Executor.Model;

/// <summary>One function call the Server placed on one FE.</summary>
[GenerateSerializer, Immutable, Alias("Executor.Model.AllocationSpec")]
public sealed record AllocationSpec
{
    [Id(0)] public required string AllocationId { get; init; }
    [Id(1)] public required string FunctionExecutorId { get; init; }
    [Id(2)] public required FunctionRef Function { get; init; }
    [Id(3)] public required string FunctionCallId { get; init; }
    [Id(4)] public required string RequestId { get; init; }
    [Id(5)] public IReadOnlyList<DataPayloadRef> Args { get; init; } = [];
    [Id(6)] public required string RequestDataPayloadUriPrefix { get; init; }
    [Id(7)] public required string RequestErrorPayloadUriPrefix { get; init; }
    [Id(8)] public byte[] FunctionCallMetadata { get; init; } = [];
}

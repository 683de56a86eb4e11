namespace Executor.Model;

/// <summary>A call graph (tail call or child call) rooted at <see cref="RootFunctionCallId"/>; protocol-neutral.</summary>
[GenerateSerializer, Immutable, Alias("Executor.Model.CallGraph")]
public sealed record CallGraph
{
    [Id(0)] public IReadOnlyList<CallGraphNode> Nodes { get; init; } = [];
    [Id(1)] public required string RootFunctionCallId { get; init; }
    [Id(2)] public DateTimeOffset? StartAt { get; init; }
}

/// <summary>A function call node, or (legacy) a reduce node when <see cref="IsReduce"/> is set.</summary>
[GenerateSerializer, Immutable, Alias("Executor.Model.CallGraphNode")]
public sealed record CallGraphNode
{
    [Id(0)] public bool IsReduce { get; init; }
    [Id(1)] public string? Id { get; init; }
    [Id(2)] public FunctionRef? Target { get; init; }
    [Id(3)] public IReadOnlyList<CallArg> Args { get; init; } = [];
    [Id(4)] public byte[]? CallMetadata { get; init; }
}

/// <summary>An argument: the output of another call, or an inline payload.</summary>
[GenerateSerializer, Immutable, Alias("Executor.Model.CallArg")]
public sealed record CallArg
{
    [Id(0)] public string? FunctionCallId { get; init; }
    [Id(1)] public DataPayloadRef? Inline { get; init; }
}

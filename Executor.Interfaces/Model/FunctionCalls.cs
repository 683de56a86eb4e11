namespace Executor.Model;

/// <summary>A request to the Server to start a call graph on behalf of a running allocation.</summary>
[GenerateSerializer, Immutable, Alias("Executor.Model.FunctionCallRequestSpec")]
public sealed record FunctionCallRequestSpec
{
    [Id(0)] public required string Namespace { get; init; }
    [Id(1)] public required string Application { get; init; }
    [Id(2)] public required string RequestId { get; init; }
    [Id(3)] public required string SourceFunctionCallId { get; init; }
    [Id(4)] public required CallGraph Updates { get; init; }

    /// <summary>The allocation making the call: protocol v2 files the call under it and routes the result back to it.</summary>
    [Id(5)] public required string AllocationId { get; init; }
}

/// <summary>One function call the executor wants to be told the result of.</summary>
[GenerateSerializer, Immutable, Alias("Executor.Model.FunctionCallWatch")]
public sealed record FunctionCallWatch(
    [property: Id(0)] string Namespace,
    [property: Id(1)] string Application,
    [property: Id(2)] string RequestId,
    [property: Id(3)] string FunctionCallId)
{
    /// <summary>Results carry no application name; they are matched on namespace, request and call.</summary>
    public string ResultKey => $"{Namespace}.{RequestId}.{FunctionCallId}";
}

/// <summary>The Server's view of a watched call; repeated in every snapshot until the watch goes away.</summary>
[GenerateSerializer, Immutable, Alias("Executor.Model.FunctionCallResultSpec")]
public sealed record FunctionCallResultSpec
{
    [Id(0)] public required string Namespace { get; init; }
    [Id(1)] public required string RequestId { get; init; }
    [Id(2)] public required string FunctionCallId { get; init; }
    [Id(3)] public OutcomeCode Outcome { get; init; }
    [Id(4)] public AllocationFailureReason? FailureReason { get; init; }
    [Id(5)] public DataPayloadRef? ReturnValue { get; init; }
    [Id(6)] public DataPayloadRef? RequestError { get; init; }

    public string ResultKey => $"{Namespace}.{RequestId}.{FunctionCallId}";

    /// <summary>Only finished calls with something to hand over are delivered (UNKNOWN = still running; SUCCESS without value = unresolved tail call).</summary>
    public bool IsDeliverable => Outcome == OutcomeCode.Failure || (Outcome == OutcomeCode.Success && ReturnValue is not null);
}

using System.Collections.Concurrent;
using Executor.Protocol.FunctionExecutorV1;

namespace TestFunctionExecutor.Tests.Infrastructure;

/// <summary>Everything the executor side saw during one allocation.</summary>
public sealed class AllocationRun(string allocationId)
{
    public string AllocationId { get; } = allocationId;

    public List<AllocationState> States { get; } = [];

    public HashSet<string> SeenIds { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, BLOB> OutputBlobs { get; } = new(StringComparer.Ordinal);

    public List<AllocationFunctionCall> FunctionCalls { get; } = [];

    public List<AllocationFunctionCallWatcher> Watchers { get; } = [];

    public List<AllocationRequestStateOperation> StateOperations { get; } = [];

    public ConcurrentDictionary<string, string> PendingStateWrites { get; } = new(StringComparer.Ordinal);

    public AllocationResult Result => States[^1].Result ?? throw new InvalidOperationException("no result");

    /// <summary>The value's bytes, read from the file behind the uploaded outputs BLOB.</summary>
    public byte[] ReadValue()
    {
        Assert.Equal(AllocationOutcomeCode.Success, Result.OutcomeCode);
        Assert.Equal(AllocationResult.OutputsOneofCase.Value, Result.OutputsCase);
        return FileBlobs.ReadValue(Result.Value, Result.UploadedFunctionOutputsBlob);
    }

    public string ReadValueText() => System.Text.Encoding.UTF8.GetString(ReadValue());
}

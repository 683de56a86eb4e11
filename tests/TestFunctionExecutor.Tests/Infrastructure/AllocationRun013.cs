using System.Collections.Concurrent;
using Executor.Protocol.FunctionExecutorV1;

namespace TestFunctionExecutor.Tests.Infrastructure;

/// <summary>Everything the executor side saw during one 0.1.3 allocation.</summary>
public sealed class AllocationRun013(string allocationId)
{
    public string AllocationId { get; } = allocationId;

    /// <summary>The allocation-state side: snapshots, output BLOBs handed out, request-state operations.</summary>
    public AllocationRun StateSide { get; } = new(allocationId);

    /// <summary>The execution-log batches in the order they were fetched (each once).</summary>
    public List<IReadOnlyList<AllocationExecutionEvent>> Batches { get; } = [];

    /// <summary>Every read request received, republished ones included, in arrival order.</summary>
    public ConcurrentQueue<ReadAllocationEventLogRequest> ReadRequests { get; } = new();

    /// <summary>Every page sent.</summary>
    public ConcurrentQueue<ReadAllocationEventLogResponse> Pages { get; } = new();

    /// <summary>The executor's event log.</summary>
    public ExecutorEventLog EventLog { get; } = new(allocationId);

    /// <summary>The create_function_call events by durable id.</summary>
    public ConcurrentDictionary<string, AllocationExecutionEventCreateFunctionCall> Creates { get; } = new(StringComparer.Ordinal);

    /// <summary>How many watch_allocation_event_log_reads streams were opened.</summary>
    public int ReadStreamsOpened { get; set; }

    public AllocationExecutionEventFinishAllocation Finish { get; set; } = null!;

    public IEnumerable<AllocationExecutionEvent> Events => Batches.SelectMany(b => b);

    /// <summary>The value's bytes, read from the file behind the uploaded outputs BLOB.</summary>
    public byte[] ReadValue()
    {
        Assert.Equal(AllocationOutcomeCode.Success, Finish.OutcomeCode);
        Assert.Equal(AllocationExecutionEventFinishAllocation.OutputsOneofCase.Value, Finish.OutputsCase);
        return FileBlobs.ReadValue(Finish.Value, Finish.UploadedFunctionOutputsBlob);
    }

    public string ReadValueText() => System.Text.Encoding.UTF8.GetString(ReadValue());

    /// <summary>The argument of a created call, read from its args BLOB.</summary>
    public byte[] ReadArgument(AllocationExecutionEventCreateFunctionCall create)
        => FileBlobs.ReadValue(Assert.Single(create.Updates.Updates).FunctionCall.Args.Single().Value, create.ArgsBlob);
}

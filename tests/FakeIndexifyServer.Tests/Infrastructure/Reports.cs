using Executor.Protocol.ServerV1;

namespace FakeIndexifyServer.Tests.Infrastructure;

/// <summary>Builders for executor-side messages, shaped like the Python executor's.</summary>
internal static class Reports
{
    public static ReportExecutorStateRequest Valid(
        string executorId,
        string stateHash = "hash-1",
        ulong serverClock = 0,
        ExecutorStatus status = ExecutorStatus.Running,
        IEnumerable<FunctionExecutorState>? functionExecutors = null,
        IEnumerable<AllocationResult>? results = null,
        IEnumerable<FunctionCallWatch>? watches = null)
    {
        var state = new ExecutorState
        {
            ExecutorId = executorId,
            Hostname = "test-host",
            Version = "0.4.0",
            Status = status,
            StateHash = stateHash,
            ServerClock = serverClock,
            TotalFunctionExecutorResources = new HostResources { CpuCount = 4, MemoryBytes = 8UL << 30, DiskBytes = 100UL << 30 },
        };
        state.FunctionExecutorStates.AddRange(functionExecutors ?? []);
        state.FunctionCallWatches.AddRange(watches ?? []);
        var update = new ExecutorUpdate { ExecutorId = executorId };
        update.AllocationResults.AddRange(results ?? []);
        return new ReportExecutorStateRequest { ExecutorState = state, ExecutorUpdate = update };
    }

    public static FunctionExecutorState Running(FunctionExecutorDescription description) =>
        new() { Description = description.Clone(), Status = FunctionExecutorStatus.Running };

    public static FunctionExecutorState Terminated(FunctionExecutorDescription description, FunctionExecutorTerminationReason reason, params string[] blamedAllocationIds)
    {
        var state = new FunctionExecutorState { Description = description.Clone(), Status = FunctionExecutorStatus.Terminated, TerminationReason = reason };
        state.AllocationIdsCausedTermination.AddRange(blamedAllocationIds);
        return state;
    }

    public static DataPayload Output(string uri, ulong size = 3) => new()
    {
        Uri = uri,
        Size = size,
        Sha256Hash = "abc123",
        Encoding = DataPayloadEncoding.Utf8Json,
        ContentType = "application/json",
    };

    public static AllocationResult Success(Allocation allocation, DataPayload? value = null) => new()
    {
        Function = allocation.Function.Clone(),
        AllocationId = allocation.AllocationId,
        FunctionCallId = allocation.FunctionCallId,
        RequestId = allocation.RequestId,
        OutcomeCode = AllocationOutcomeCode.Success,
        Value = value ?? Output(allocation.RequestDataPayloadUriPrefix + "/out"),
        ExecutionDurationMs = 5,
    };

    public static AllocationResult Failure(Allocation allocation, AllocationFailureReason reason) => new()
    {
        Function = allocation.Function.Clone(),
        AllocationId = allocation.AllocationId,
        FunctionCallId = allocation.FunctionCallId,
        RequestId = allocation.RequestId,
        OutcomeCode = AllocationOutcomeCode.Failure,
        FailureReason = reason,
    };

    public static FunctionCallWatch Watch(string ns, string app, string requestId, string functionCallId) => new()
    {
        Namespace = ns,
        Application = app,
        RequestId = requestId,
        FunctionCallId = functionCallId,
    };

    public static FunctionCallRequest CallFunction(string ns, string app, string requestId, string sourceCallId, string childCallId)
    {
        var updates = new ExecutionPlanUpdates { RootFunctionCallId = childCallId };
        var call = new FunctionCall
        {
            Id = childCallId,
            Target = new FunctionRef { Namespace = ns, ApplicationName = app, FunctionName = "child" },
            CallMetadata = Google.Protobuf.ByteString.Empty,
        };
        call.Args.Add(new FunctionArg { InlineData = Output("file:///tmp/arg") });
        updates.Updates.Add(new ExecutionPlanUpdate { FunctionCall = call });
        return new FunctionCallRequest
        {
            Namespace = ns,
            Application = app,
            RequestId = requestId,
            SourceFunctionCallId = sourceCallId,
            Updates = updates,
        };
    }
}

using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.Allocations.Tests.Infrastructure;

/// <summary>Execution-log events as a 0.1.3 FE emits them, for scripts.</summary>
internal static class ExecutionEvents
{
    /// <summary>A UTF-8 text value of <paramref name="size"/> bytes at the start of its BLOB.</summary>
    public static Fe.SerializedObjectInsideBLOB Text(ulong size) => new()
    {
        Manifest = new Fe.SerializedObjectManifest
        {
            Encoding = Fe.SerializedObjectEncoding.Utf8Text,
            EncodingVersion = 0,
            Size = size,
            MetadataSize = 0,
            Sha256Hash = "sha256-of-the-value",
        },
        Offset = 0,
    };

    /// <summary>A call of <paramref name="function"/> with one inline argument inside <paramref name="argsBlob"/>.</summary>
    public static Fe.AllocationExecutionEvent CreateCall(string id, string function, Fe.BLOB argsBlob, ulong argSize) => new()
    {
        CreateFunctionCall = new Fe.AllocationExecutionEventCreateFunctionCall
        {
            Updates = new Fe.ExecutionPlanUpdates
            {
                RootFunctionCallId = id,
                Updates =
                {
                    new Fe.ExecutionPlanUpdate
                    {
                        FunctionCall = new Fe.FunctionCall
                        {
                            Id = id,
                            Target = new Fe.FunctionRef { Namespace = "ns", ApplicationName = "app", FunctionName = function, ApplicationVersion = "1" },
                            Args = { new Fe.FunctionArg { Value = Text(argSize) } },
                            CallMetadata = ByteString.CopyFromUtf8("pickled metadata"),
                        },
                    },
                },
            },
            ArgsBlob = argsBlob,
        },
    };

    public static Fe.AllocationExecutionEvent Watcher(string id, DateTimeOffset? deadline = null)
    {
        var watcher = new Fe.AllocationExecutionEventCreateFunctionCallWatcher { FunctionCallId = id };
        if (deadline is { } at)
        {
            watcher.Deadline = Timestamp.FromDateTimeOffset(at);
        }

        return new Fe.AllocationExecutionEvent { CreateFunctionCallWatcher = watcher };
    }

    public static Fe.AllocationExecutionEvent FinishWithValue(Fe.BLOB outputs, ulong size) => new()
    {
        FinishAllocation = new Fe.AllocationExecutionEventFinishAllocation { OutcomeCode = Fe.AllocationOutcomeCode.Success, Value = Text(size), UploadedFunctionOutputsBlob = outputs },
    };

    public static Fe.AllocationExecutionEvent FinishWithTailCall(string id) => new()
    {
        FinishAllocation = new Fe.AllocationExecutionEventFinishAllocation { OutcomeCode = Fe.AllocationOutcomeCode.Success, TailCallDurableId = id },
    };

    public static Fe.AllocationExecutionEvent FinishWithRequestError(Fe.BLOB requestErrorBlob, ulong size) => new()
    {
        FinishAllocation = new Fe.AllocationExecutionEventFinishAllocation
        {
            OutcomeCode = Fe.AllocationOutcomeCode.Failure,
            FailureReason = Fe.AllocationFailureReason.RequestError,
            RequestErrorOutput = Text(size),
            UploadedRequestErrorBlob = requestErrorBlob,
        },
    };

    public static Fe.AllocationExecutionEvent FinishWithFailure(Fe.AllocationFailureReason reason) => new()
    {
        FinishAllocation = new Fe.AllocationExecutionEventFinishAllocation { OutcomeCode = Fe.AllocationOutcomeCode.Failure, FailureReason = reason },
    };

    public static bool IsCreated(Fe.AllocationEvent entry, string id) => entry.FunctionCallCreated?.FunctionCallId == id;

    public static bool IsWatcherCreated(Fe.AllocationEvent entry, string id) => entry.FunctionCallWatcherCreated?.FunctionCallId == id;

    public static bool IsWatcherResult(Fe.AllocationEvent entry, string id) => entry.FunctionCallWatcherResult?.FunctionCallId == id;
}

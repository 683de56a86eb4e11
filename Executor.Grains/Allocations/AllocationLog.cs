using Microsoft.Extensions.Logging;

namespace Executor.Allocations;

/// <summary>Every log line about running allocations, with stable event ids (shared by the runner, its services and its protocol drivers).</summary>
internal static partial class AllocationLog
{
    [LoggerMessage(1, LogLevel.Error, "allocation {AllocationId}: preparing inputs failed: {Reason}")]
    public static partial void PreparationFailed(ILogger logger, string allocationId, string reason);

    [LoggerMessage(2, LogLevel.Warning, "allocation {AllocationId}: an FE RPC exceeded its deadline; treating it as a timeout")]
    public static partial void RpcTimeout(ILogger logger, string allocationId);

    [LoggerMessage(3, LogLevel.Error, "allocation {AllocationId}: FE RPC failed ({StatusCode}: {Detail}); the FE is in an undefined state")]
    public static partial void UndefinedState(ILogger logger, string allocationId, string statusCode, string detail);

    [LoggerMessage(4, LogLevel.Error, "allocation {AllocationId}: unexpected executor error")]
    public static partial void Unexpected(ILogger logger, Exception exception, string allocationId);

    [LoggerMessage(5, LogLevel.Information, "allocation {AllocationId} stopped ({Reason}, {Exception})")]
    public static partial void Stopped(ILogger logger, string allocationId, string reason, string exception);

    [LoggerMessage(6, LogLevel.Warning, "allocation {AllocationId}: state stream ended without a result")]
    public static partial void StreamEndedWithoutResult(ILogger logger, string allocationId);

    [LoggerMessage(7, LogLevel.Warning, "allocation {AllocationId}: invalid output BLOB request {BlobId}")]
    public static partial void InvalidOutputBlobRequest(ILogger logger, string allocationId, string blobId);

    [LoggerMessage(8, LogLevel.Error, "allocation {AllocationId}: creating output BLOB {BlobId} failed: {Reason}")]
    public static partial void OutputBlobFailed(ILogger logger, string allocationId, string blobId, string reason);

    [LoggerMessage(9, LogLevel.Warning, "allocation {AllocationId}: invalid function call {Key}")]
    public static partial void InvalidFunctionCall(ILogger logger, string allocationId, string key);

    [LoggerMessage(10, LogLevel.Error, "allocation {AllocationId}: function call {Key} failed: {Reason}")]
    public static partial void FunctionCallFailed(ILogger logger, string allocationId, string key, string reason);

    [LoggerMessage(11, LogLevel.Warning, "allocation {AllocationId}: sending an update to the FE failed: {Reason}")]
    public static partial void UpdateFailed(ILogger logger, string allocationId, string reason);

    [LoggerMessage(12, LogLevel.Warning, "allocation {AllocationId}: call_function attempt {Attempt} failed ({Reason}); retrying")]
    public static partial void CallFunctionRetry(ILogger logger, string allocationId, int attempt, string reason);

    [LoggerMessage(13, LogLevel.Warning, "allocation {AllocationId}: invalid function call watcher")]
    public static partial void InvalidWatcher(ILogger logger, string allocationId);

    [LoggerMessage(14, LogLevel.Error, "allocation {AllocationId}: request state operation {OperationId} failed: {Reason}")]
    public static partial void StateOperationFailed(ILogger logger, string allocationId, string operationId, string reason);

    [LoggerMessage(15, LogLevel.Error, "allocation {AllocationId}: result names an outputs BLOB that was never requested")]
    public static partial void UnknownOutputsBlob(ILogger logger, string allocationId);

    [LoggerMessage(16, LogLevel.Error, "allocation {AllocationId}: invalid tail call: {Reason}")]
    public static partial void InvalidTailCall(ILogger logger, string allocationId, string reason);

    [LoggerMessage(17, LogLevel.Warning, "allocation {AllocationId}: FE reported outcome UNKNOWN; reporting FAILURE")]
    public static partial void UnknownOutcome(ILogger logger, string allocationId);

    [LoggerMessage(18, LogLevel.Error, "allocation {AllocationId}: finalization failed")]
    public static partial void FinalizationFailed(ILogger logger, Exception exception, string allocationId);

    [LoggerMessage(19, LogLevel.Warning, "allocation {AllocationId} timed out after {TimeoutMs} ms")]
    public static partial void TimedOut(ILogger logger, string allocationId, uint timeoutMs);

    [LoggerMessage(20, LogLevel.Warning, "aborting multipart upload {Uri} failed: {Reason}")]
    public static partial void AbortFailed(ILogger logger, string uri, string reason);

    [LoggerMessage(21, LogLevel.Warning, "allocation {AllocationId}: the FE's state stream broke ({Detail}); reopening it (attempt {Attempt})")]
    public static partial void WatchReopened(ILogger logger, string allocationId, int attempt, string detail);

    [LoggerMessage(22, LogLevel.Error, "allocation {AllocationId}: delete_allocation failed after the outcome ({StatusCode}: {Detail}); the FE is in an undefined state")]
    public static partial void DeleteFailed(ILogger logger, string allocationId, string statusCode, string detail);

    [LoggerMessage(23, LogLevel.Warning, "allocation {AllocationId}: the FE's event-log read stream broke ({Detail}); reopening it (attempt {Attempt})")]
    public static partial void EventLogReadsReopened(ILogger logger, string allocationId, int attempt, string detail);

    [LoggerMessage(24, LogLevel.Debug, "allocation {AllocationId}: ignoring event-log read after clock {AfterClock}, already answered or superseded")]
    public static partial void EventLogReadIgnored(ILogger logger, string allocationId, ulong afterClock);

    [LoggerMessage(25, LogLevel.Warning, "allocation {AllocationId}: the FE reads after clock {AfterClock}, beyond the event log's last clock {LastClock}; held until the log gets there")]
    public static partial void EventLogReadBeyondLog(ILogger logger, string allocationId, ulong afterClock, ulong lastClock);

    [LoggerMessage(26, LogLevel.Warning, "allocation {AllocationId}: ignoring {Count} execution events after the finish")]
    public static partial void EventsAfterFinish(ILogger logger, string allocationId, int count);

    [LoggerMessage(27, LogLevel.Warning, "allocation {AllocationId}: ignoring an execution event of an unknown kind")]
    public static partial void UnknownExecutionEvent(ILogger logger, string allocationId);

    [LoggerMessage(28, LogLevel.Warning, "allocation {AllocationId}: watcher of function call {FunctionCallId}, which this allocation never created; answering it as failed")]
    public static partial void WatcherOfUnknownCall(ILogger logger, string allocationId, string functionCallId);

    [LoggerMessage(29, LogLevel.Error, "allocation {AllocationId}: the result of function call {FunctionCallId} cannot be handed to the FE ({Reason}); answering it as failed")]
    public static partial void WatcherResultUnreadable(ILogger logger, string allocationId, string functionCallId, string reason);

    [LoggerMessage(30, LogLevel.Information, "allocation {AllocationId}: waiting on function call {FunctionCallId} timed out at the watcher's deadline")]
    public static partial void WatcherTimedOut(ILogger logger, string allocationId, string functionCallId);

    [LoggerMessage(31, LogLevel.Warning, "allocation {AllocationId}: the FE's execution log ended without a finish")]
    public static partial void ExecutionLogEndedWithoutFinish(ILogger logger, string allocationId);

    [LoggerMessage(32, LogLevel.Warning, "allocation {AllocationId}: getting the execution-log batch broke in the transport ({Detail}); asking again (attempt {Attempt})")]
    public static partial void ExecutionLogGetRetried(ILogger logger, string allocationId, int attempt, string detail);

    [LoggerMessage(33, LogLevel.Warning, "allocation {AllocationId}: advancing the execution log broke in the transport ({Detail}); the next batch tells whether it happened")]
    public static partial void ExecutionLogAdvanceUncertain(ILogger logger, string allocationId, string detail);
}

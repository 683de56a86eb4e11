using System.Security.Cryptography;
using System.Text;
using Executor.Protocol.FunctionExecutorV1;

namespace TestFunctionExecutor;

/// <summary>
/// 0.1.3: applies the entries of accepted event-log pages to the allocation's child calls, as the
/// real FE G2 does: function_call_created and function_call_watcher_created release the waits for
/// them, function_call_watcher_result completes the call (its value or request error downloaded
/// here) and stops tracking it. Entries for ids that are not tracked are logged and ignored.
/// </summary>
internal sealed class AllocationEventProcessor(string allocationId, ChildCallTable calls, BlobStore blobs, CancellationToken stopping)
{
    private const int StatusOk = 0;

    public static bool IsOk(Google.Rpc.Status? status) => status is null || status.Code == StatusOk;

    /// <summary>Applies one entry of an accepted page; throws (→ emergency shutdown) on what the real FE treats as an internal error.</summary>
    public async Task ProcessAsync(AllocationEvent entry)
    {
        switch (entry.EventCase)
        {
            case AllocationEvent.EventOneofCase.FunctionCallCreated:
            {
                var created = entry.FunctionCallCreated;
                if (calls.FindActive(created.FunctionCallId) is not { } call)
                {
                    FeLog.Error($"allocation {allocationId}: function_call_created for unknown durable id {created.FunctionCallId} ignored");
                    return;
                }

                FeLog.Info($"allocation {allocationId}: function call {created.FunctionCallId} created: {StatusText(created.Status)}");
                call.Created.TrySetResult(created);
                return;
            }

            case AllocationEvent.EventOneofCase.FunctionCallWatcherCreated:
            {
                var created = entry.FunctionCallWatcherCreated;
                if (calls.FindActive(created.FunctionCallId) is not { } call)
                {
                    FeLog.Error($"allocation {allocationId}: function_call_watcher_created for unknown durable id {created.FunctionCallId} ignored (as the real FE: a wait for it never ends)");
                    return;
                }

                FeLog.Info($"allocation {allocationId}: watcher of function call {created.FunctionCallId} created: {StatusText(created.Status)}");
                if (!IsOk(created.Status))
                {
                    // G2: the future fails with an internal error and completes; no result is expected.
                    calls.Untrack(created.FunctionCallId);
                    call.Finished.TrySetResult(ChildCallResult.WatcherRejected());
                }

                call.WatcherCreated.TrySetResult(created);
                return;
            }

            case AllocationEvent.EventOneofCase.FunctionCallWatcherResult:
            {
                var result = entry.FunctionCallWatcherResult;
                if (calls.FindActive(result.FunctionCallId) is not { } call)
                {
                    FeLog.Info($"allocation {allocationId}: function_call_watcher_result for unknown durable id {result.FunctionCallId} ignored");
                    return;
                }

                var converted = await ConvertAsync(result).ConfigureAwait(false);
                FeLog.Info($"allocation {allocationId}: function call {result.FunctionCallId} result: {result.WatcherStatus} {result.OutcomeCode} ({converted.Status})");
                calls.Untrack(result.FunctionCallId);
                call.Finished.TrySetResult(converted);
                return;
            }

            default:
                throw new InvalidOperationException($"Unknown allocation event type: {entry.EventCase}");
        }
    }

    /// <summary>What user code gets for a watcher result; values and request errors are downloaded here, as the real FE does.</summary>
    private async Task<ChildCallResult> ConvertAsync(AllocationEventFunctionCallWatcherResult result)
    {
        if (result.WatcherStatus == FunctionCallWatcherStatus.Timedout)
        {
            return ChildCallResult.TimedOut();
        }

        switch (result.OutcomeCode)
        {
            case AllocationOutcomeCode.Success:
                return ChildCallResult.Succeeded(await DownloadAsync(result.ValueOutput, result.ValueBlob, "value_output").ConfigureAwait(false));
            case AllocationOutcomeCode.Failure when result.RequestErrorOutput is { } requestError:
                var message = await DownloadAsync(requestError, result.RequestErrorBlob, "request_error_output").ConfigureAwait(false);
                return ChildCallResult.RequestError(new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(message));
            case AllocationOutcomeCode.Failure:
                return ChildCallResult.Failed("Function call failed");
            default:
                throw new InvalidOperationException($"Unexpected outcome code in function call watcher result: {result.OutcomeCode}");
        }
    }

    /// <summary>Reads a serialized object like the real FE: metadata_size is required, the SHA-256 covers metadata and data, the metadata is skipped.</summary>
    private async Task<byte[]> DownloadAsync(SerializedObjectInsideBLOB? value, BLOB? blob, string field)
    {
        if (value is null || blob is null)
        {
            throw new InvalidOperationException($"function call watcher result is missing {field} or its BLOB");
        }

        if (value.Manifest is not { HasMetadataSize: true } manifest)
        {
            throw new InvalidOperationException("SerializedObjectManifest is missing metadata_size.");
        }

        var bytes = await blobs.ReadAsync(blob, (long)value.Offset, (long)manifest.Size, stopping).ConfigureAwait(false);
        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (hash != manifest.Sha256Hash)
        {
            throw new InvalidOperationException($"Serialized object hash {hash} does not match expected hash {manifest.Sha256Hash}.");
        }

        return bytes[(int)manifest.MetadataSize..];
    }

    private static string StatusText(Google.Rpc.Status? status) => IsOk(status) ? "OK" : $"{status!.Code} {status.Message}";
}

using System.Collections;
using System.Globalization;
using System.Text.Json;
using Executor.Protocol.FunctionExecutorV1;
using Google.Protobuf;

namespace TestFunctionExecutor;

/// <summary>The scripted function bodies, one per <see cref="AllocationBehaviour"/>.</summary>
internal static class AllocationFunctions
{
    private const int StatusOk = 0;
    private const int StatusNotFound = 5;
    private const string TextContentType = "text/plain";

    public static async Task<AllocationResult> RunAsync(AllocationRunner run, CancellationToken cancellationToken)
    {
        var script = run.Script;
        switch (script.Allocation)
        {
            case AllocationBehaviour.FailFunction:
                return Results.Failure(AllocationFailureReason.FunctionError);
            case AllocationBehaviour.FailInternal:
                return Results.Failure(AllocationFailureReason.InternalError);
            case AllocationBehaviour.Hang:
                FeLog.Info($"allocation {run.Id}: hanging as scripted");
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
                throw new OperationCanceledException(cancellationToken);
            case AllocationBehaviour.Crash:
                await CrashMidAllocationAsync(run, cancellationToken).ConfigureAwait(false);
                throw new InvalidOperationException("unreachable: the process has exited");
            case AllocationBehaviour.BigOutput:
                return await BigOutputAsync(run, cancellationToken).ConfigureAwait(false);
            case AllocationBehaviour.Env:
                return await EnvironmentAsync(run, cancellationToken).ConfigureAwait(false);
        }

        var input = await run.ReadFirstArgumentAsync(cancellationToken).ConfigureAwait(false);
        switch (script.Allocation)
        {
            case AllocationBehaviour.Sleep:
                await Task.Delay(SleepTime(script, input), cancellationToken).ConfigureAwait(false);
                return await EchoAsync(run, input, cancellationToken).ConfigureAwait(false);
            case AllocationBehaviour.Progress:
                for (var i = 1; i <= script.ProgressCount; i++)
                {
                    await Task.Delay(script.ProgressIntervalMs, cancellationToken).ConfigureAwait(false);
                    run.ReportProgress(i, script.ProgressCount);
                }

                return await EchoAsync(run, input, cancellationToken).ConfigureAwait(false);
            case AllocationBehaviour.FailRequest:
                return await FailRequestAsync(run, input, cancellationToken).ConfigureAwait(false);
            case AllocationBehaviour.CallAndWait:
                return await CallAndWaitAsync(run, input, cancellationToken).ConfigureAwait(false);
            case AllocationBehaviour.TailCall:
                return await TailCallAsync(run, input, cancellationToken).ConfigureAwait(false);
            case AllocationBehaviour.StateWriteRead:
                return await StateWriteReadAsync(run, input, cancellationToken).ConfigureAwait(false);
            case AllocationBehaviour.StateReadMissing:
                return await StateReadMissingAsync(run, input, cancellationToken).ConfigureAwait(false);
            default:
                return await EchoAsync(run, input, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Returns the input bytes unchanged with the input's encoding and content type.</summary>
    private static async Task<AllocationResult> EchoAsync(AllocationRunner run, FunctionInput input, CancellationToken cancellationToken)
    {
        var (value, uploaded) = await run.UploadValueAsync(new BytesSource(input.Bytes), input.Encoding, input.EncodingVersion, input.ContentType, cancellationToken).ConfigureAwait(false);
        return Results.Value(value, uploaded);
    }

    private static async Task<AllocationResult> TextValueAsync(AllocationRunner run, byte[] bytes, CancellationToken cancellationToken)
    {
        var (value, uploaded) = await run.UploadValueAsync(new BytesSource(bytes), SerializedObjectEncoding.Utf8Text, 0, TextContentType, cancellationToken).ConfigureAwait(false);
        return Results.Value(value, uploaded);
    }

    /// <summary>sleep_N wins; otherwise a bare JSON number input or {"sleep_ms": N}; otherwise no delay.</summary>
    private static TimeSpan SleepTime(FunctionScript script, FunctionInput input)
    {
        var ms = script.SleepMs ?? input.Number ?? input.GetNumber(TestFunctions.Input.SleepMs) ?? 0;
        return TimeSpan.FromMilliseconds(Math.Max(0, ms));
    }

    /// <summary>Waits until the executor watches the allocation, so the crash happens mid-run, not during create_allocation.</summary>
    private static async Task CrashMidAllocationAsync(AllocationRunner run, CancellationToken cancellationToken)
    {
        try
        {
            await run.State.FirstWatched.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            FeLog.Error($"allocation {run.Id}: nobody watched within 10 s, crashing anyway");
        }

        ProcessExit.Crash($"crash during allocation {run.Id}");
    }

    private static async Task<AllocationResult> BigOutputAsync(AllocationRunner run, CancellationToken cancellationToken)
    {
        var data = new PatternSource(TestFunctions.PatternSeed(run.Id), run.Script.BigOutputBytes);
        var (value, uploaded) = await run.UploadValueAsync(data, SerializedObjectEncoding.Raw, 0, "application/octet-stream", cancellationToken).ConfigureAwait(false);
        return Results.Value(value, uploaded);
    }

    /// <summary>The FE process environment as a JSON object with keys in ordinal order.</summary>
    private static async Task<AllocationResult> EnvironmentAsync(AllocationRunner run, CancellationToken cancellationToken)
    {
        var variables = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            variables[(string)entry.Key] = (string?)entry.Value ?? string.Empty;
        }

        var bytes = JsonSerializer.SerializeToUtf8Bytes(variables, EnvironmentJsonContext.Default.SortedDictionaryStringString);
        var (value, uploaded) = await run.UploadValueAsync(new BytesSource(bytes), SerializedObjectEncoding.Utf8Json, 0, "application/json", cancellationToken).ConfigureAwait(false);
        return Results.Value(value, uploaded);
    }

    /// <summary>Writes the request error message into inputs.request_error_blob, like a RequestError raised by user code.</summary>
    private static async Task<AllocationResult> FailRequestAsync(AllocationRunner run, FunctionInput input, CancellationToken cancellationToken)
    {
        var message = FunctionInput.Utf8(input.GetString(TestFunctions.Input.Message) ?? TestFunctions.DefaultRequestErrorMessage);
        var data = new BytesSource(message);
        var uploaded = await run.Blobs.WriteAsync(run.Allocation.Inputs.RequestErrorBlob, data, cancellationToken).ConfigureAwait(false);
        var output = Results.InsideBlob(SerializedObjectEncoding.Utf8Text, 0, data.Length, data.Sha256Hex(), contentType: null);
        return Results.RequestError(output, uploaded);
    }

    /// <summary>
    /// Starts one child call with its argument in an output BLOB, waits for the creation result,
    /// watches the call and returns "parent:" + the child's value bytes.
    /// </summary>
    private static async Task<AllocationResult> CallAndWaitAsync(AllocationRunner run, FunctionInput input, CancellationToken cancellationToken)
    {
        var (updates, argsBlob) = await BuildChildCallAsync(run, input, "call", cancellationToken).ConfigureAwait(false);
        var callId = run.NewId("call");
        var creation = await run.StartFunctionCallAsync(callId, updates, argsBlob, cancellationToken).ConfigureAwait(false);
        if (creation.Status is { } status && status.Code != StatusOk)
        {
            throw new FunctionErrorException($"function call {callId} could not be started: {status.Code} {status.Message}");
        }

        var childResult = await run.WatchFunctionCallAsync(updates.RootFunctionCallId, cancellationToken).ConfigureAwait(false);
        if (childResult.OutcomeCode != AllocationOutcomeCode.Success)
        {
            throw new FunctionErrorException($"child call {updates.RootFunctionCallId} ended {childResult.OutcomeCode}");
        }

        var childBytes = Array.Empty<byte>();
        if (childResult.ValueOutput is { } childValue && childResult.ValueBlob is { } valueBlob)
        {
            childBytes = await run.Blobs.ReadAsync(valueBlob, (long)childValue.Offset, (long)(childValue.Manifest?.Size ?? 0), cancellationToken).ConfigureAwait(false);
        }

        return await TextValueAsync(run, [.. FunctionInput.Utf8(TestFunctions.CallAndWaitPrefix), .. childBytes], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Returns a call graph (the child call) instead of a value; its argument lives in the outputs BLOB.</summary>
    private static async Task<AllocationResult> TailCallAsync(AllocationRunner run, FunctionInput input, CancellationToken cancellationToken)
    {
        var (updates, argsBlob) = await BuildChildCallAsync(run, input, "tail", cancellationToken).ConfigureAwait(false);
        return Results.Updates(updates, argsBlob);
    }

    /// <summary>One FunctionCall to input.function (default echo) in the same application, its argument uploaded to a fresh output BLOB.</summary>
    private static async Task<(ExecutionPlanUpdates Updates, BLOB ArgsBlob)> BuildChildCallAsync(AllocationRunner run, FunctionInput input, string kind, CancellationToken cancellationToken)
    {
        var payload = input.GetString(TestFunctions.Input.Payload);
        var (argValue, argsBlob) = payload is null
            ? await run.UploadValueAsync(new BytesSource(input.Bytes), input.Encoding, input.EncodingVersion, input.ContentType, cancellationToken).ConfigureAwait(false)
            : await run.UploadValueAsync(new BytesSource(FunctionInput.Utf8(payload)), SerializedObjectEncoding.Utf8Text, 0, TextContentType, cancellationToken).ConfigureAwait(false);

        var target = run.Function.Clone();
        target.FunctionName = input.GetString(TestFunctions.Input.Function) ?? TestFunctions.Echo;
        var childId = $"{run.Id}.{kind}.{run.NewId("fn")}";
        var call = new FunctionCall { Id = childId, Target = target, CallMetadata = ByteString.Empty };
        call.Args.Add(new FunctionArg { Value = argValue });
        var updates = new ExecutionPlanUpdates { RootFunctionCallId = childId };
        updates.Updates.Add(new ExecutionPlanUpdate { FunctionCall = call });
        return (updates, argsBlob);
    }

    /// <summary>prepare_write, upload, commit_write, prepare_read, read back; returns what was read.</summary>
    private static async Task<AllocationResult> StateWriteReadAsync(AllocationRunner run, FunctionInput input, CancellationToken cancellationToken)
    {
        var key = input.GetString(TestFunctions.Input.Key) ?? TestFunctions.DefaultStateKey;
        var text = input.GetString(TestFunctions.Input.Value);
        var bytes = text is null ? input.Bytes : FunctionInput.Utf8(text);

        var prepareWrite = await StateOperationAsync(run, key, op => op.PrepareWrite = new AllocationRequestStatePrepareWriteOperation { Size = (ulong)bytes.Length }, cancellationToken).ConfigureAwait(false);
        RequireOk(prepareWrite, "prepare_write", key);
        var uploaded = await run.Blobs.WriteAsync(prepareWrite.PrepareWrite.Blob, new BytesSource(bytes), cancellationToken).ConfigureAwait(false);

        var commit = await StateOperationAsync(run, key, op => op.CommitWrite = new AllocationRequestStateCommitWriteOperation { Blob = uploaded }, cancellationToken).ConfigureAwait(false);
        RequireOk(commit, "commit_write", key);

        var read = await StateOperationAsync(run, key, op => op.PrepareRead = new AllocationRequestStatePrepareReadOperation(), cancellationToken).ConfigureAwait(false);
        RequireOk(read, "prepare_read", key);
        var readBlob = read.PrepareRead.Blob;
        var stored = await run.Blobs.ReadAsync(readBlob, 0, readBlob.Chunks.Sum(c => (long)c.Size), cancellationToken).ConfigureAwait(false);

        var (value, uploadedValue) = text is null
            ? await run.UploadValueAsync(new BytesSource(stored), input.Encoding, input.EncodingVersion, input.ContentType, cancellationToken).ConfigureAwait(false)
            : await run.UploadValueAsync(new BytesSource(stored), SerializedObjectEncoding.Utf8Text, 0, TextContentType, cancellationToken).ConfigureAwait(false);
        return Results.Value(value, uploadedValue);
    }

    /// <summary>prepare_read of a key nobody wrote: NOT_FOUND ⇒ "not found"; found ⇒ "found:" + bytes.</summary>
    private static async Task<AllocationResult> StateReadMissingAsync(AllocationRunner run, FunctionInput input, CancellationToken cancellationToken)
    {
        var key = input.GetString(TestFunctions.Input.Key) ?? TestFunctions.DefaultMissingStateKey;
        var read = await StateOperationAsync(run, key, op => op.PrepareRead = new AllocationRequestStatePrepareReadOperation(), cancellationToken).ConfigureAwait(false);
        var code = read.Status?.Code ?? StatusOk;
        if (code == StatusNotFound)
        {
            return await TextValueAsync(run, FunctionInput.Utf8(TestFunctions.NotFoundValue), cancellationToken).ConfigureAwait(false);
        }

        RequireOk(read, "prepare_read", key);
        var blob = read.PrepareRead.Blob;
        var stored = await run.Blobs.ReadAsync(blob, 0, blob.Chunks.Sum(c => (long)c.Size), cancellationToken).ConfigureAwait(false);
        return await TextValueAsync(run, [.. FunctionInput.Utf8("found:"), .. stored], cancellationToken).ConfigureAwait(false);
    }

    private static Task<AllocationRequestStateOperationResult> StateOperationAsync(AllocationRunner run, string key, Action<AllocationRequestStateOperation> setOperation, CancellationToken cancellationToken)
    {
        var operation = new AllocationRequestStateOperation { OperationId = run.NewId("op"), StateKey = key };
        setOperation(operation);
        return run.RequestStateOperationAsync(operation, cancellationToken);
    }

    /// <summary>A failed request-state operation surfaces in user code, hence FUNCTION_ERROR.</summary>
    private static void RequireOk(AllocationRequestStateOperationResult result, string operation, string key)
    {
        var code = result.Status?.Code ?? StatusOk;
        if (code != StatusOk)
        {
            throw new FunctionErrorException(string.Create(CultureInfo.InvariantCulture, $"request state {operation} of key '{key}' failed: {code} {result.Status?.Message}"));
        }
    }
}

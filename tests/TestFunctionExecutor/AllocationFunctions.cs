using System.Collections;
using System.Globalization;
using System.Text.Json;
using Executor.Protocol.FunctionExecutorV1;

namespace TestFunctionExecutor;

/// <summary>
/// The scripted function bodies, one per <see cref="AllocationBehaviour"/>, written once against the
/// <see cref="AllocationRunner"/> surface; the runner expresses them in FE protocol 0.1.2 or 0.1.3.
/// </summary>
internal static class AllocationFunctions
{
    private const int StatusOk = 0;
    private const int StatusNotFound = 5;
    private const string TextContentType = "text/plain";

    public static async Task<FunctionOutcome> RunAsync(AllocationRunner run, CancellationToken cancellationToken)
    {
        var script = run.Script;
        switch (script.Allocation)
        {
            case AllocationBehaviour.FailFunction:
                return new FunctionOutcome.Failure(AllocationFailureReason.FunctionError);
            case AllocationBehaviour.FailInternal:
                return new FunctionOutcome.Failure(AllocationFailureReason.InternalError);
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
                return await run.RequestErrorAsync(input.GetString(TestFunctions.Input.Message) ?? TestFunctions.DefaultRequestErrorMessage, cancellationToken).ConfigureAwait(false);
            case AllocationBehaviour.CallAndWait:
                return await CallAndWaitAsync(run, input, timeout: null, cancellationToken).ConfigureAwait(false);
            case AllocationBehaviour.CallWithTimeout:
                return await CallWithTimeoutAsync(run, input, cancellationToken).ConfigureAwait(false);
            case AllocationBehaviour.CallMany:
                return await CallManyAsync(run, input, cancellationToken).ConfigureAwait(false);
            case AllocationBehaviour.CallCreationFailed:
                return await CallCreationFailedAsync(run, input, cancellationToken).ConfigureAwait(false);
            case AllocationBehaviour.FireAndForget:
                return await FireAndForgetAsync(run, input, cancellationToken).ConfigureAwait(false);
            case AllocationBehaviour.TailCall:
                return new FunctionOutcome.TailCall(ChildOf(input));
            case AllocationBehaviour.StateWriteRead:
                return await StateWriteReadAsync(run, input, cancellationToken).ConfigureAwait(false);
            case AllocationBehaviour.StateReadMissing:
                return await StateReadMissingAsync(run, input, cancellationToken).ConfigureAwait(false);
            default:
                return await EchoAsync(run, input, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Returns the input bytes unchanged with the input's encoding and content type.</summary>
    private static async Task<FunctionOutcome> EchoAsync(AllocationRunner run, FunctionInput input, CancellationToken cancellationToken)
    {
        var (value, uploaded) = await run.UploadValueAsync(new BytesSource(input.Bytes), input.Encoding, input.EncodingVersion, input.ContentType, cancellationToken).ConfigureAwait(false);
        return new FunctionOutcome.Value(value, uploaded);
    }

    private static async Task<FunctionOutcome> TextValueAsync(AllocationRunner run, byte[] bytes, CancellationToken cancellationToken)
    {
        var (value, uploaded) = await run.UploadValueAsync(new BytesSource(bytes), SerializedObjectEncoding.Utf8Text, 0, TextContentType, cancellationToken).ConfigureAwait(false);
        return new FunctionOutcome.Value(value, uploaded);
    }

    private static Task<FunctionOutcome> TextValueAsync(AllocationRunner run, string text, CancellationToken cancellationToken)
        => TextValueAsync(run, FunctionInput.Utf8(text), cancellationToken);

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

    private static async Task<FunctionOutcome> BigOutputAsync(AllocationRunner run, CancellationToken cancellationToken)
    {
        var data = new PatternSource(TestFunctions.PatternSeed(run.Id), run.Script.BigOutputBytes);
        var (value, uploaded) = await run.UploadValueAsync(data, SerializedObjectEncoding.Raw, 0, "application/octet-stream", cancellationToken).ConfigureAwait(false);
        return new FunctionOutcome.Value(value, uploaded);
    }

    /// <summary>The FE process environment as a JSON object with keys in ordinal order.</summary>
    private static async Task<FunctionOutcome> EnvironmentAsync(AllocationRunner run, CancellationToken cancellationToken)
    {
        var variables = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            variables[(string)entry.Key] = (string?)entry.Value ?? string.Empty;
        }

        var bytes = JsonSerializer.SerializeToUtf8Bytes(variables, EnvironmentJsonContext.Default.SortedDictionaryStringString);
        var (value, uploaded) = await run.UploadValueAsync(new BytesSource(bytes), SerializedObjectEncoding.Utf8Json, 0, "application/json", cancellationToken).ConfigureAwait(false);
        return new FunctionOutcome.Value(value, uploaded);
    }

    /// <summary>
    /// Starts one child call, waits for it (no timeout: as long as it takes) and returns "parent:" + the child's value
    /// bytes. A child that failed is FUNCTION_ERROR; a child request error propagates (0.1.3) as REQUEST_ERROR.
    /// </summary>
    private static async Task<FunctionOutcome> CallAndWaitAsync(AllocationRunner run, FunctionInput input, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var call = (await run.StartFunctionCallsAsync([ChildOf(input)], cancellationToken).ConfigureAwait(false))[0];
        var result = (await run.WatchFunctionCallsAsync([call], timeout, cancellationToken).ConfigureAwait(false))[0];
        return await TextValueAsync(run, [.. FunctionInput.Utf8(TestFunctions.CallAndWaitPrefix), .. result.ValueOrThrow(call)], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>call_and_wait with a watcher timeout; user code catches the TimeoutError and returns "timed out".</summary>
    private static async Task<FunctionOutcome> CallWithTimeoutAsync(AllocationRunner run, FunctionInput input, CancellationToken cancellationToken)
    {
        try
        {
            return await CallAndWaitAsync(run, input, TimeSpan.FromMilliseconds(run.Script.CallTimeoutMs), cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutErrorException ex)
        {
            FeLog.Info($"allocation {run.Id}: {ex.Message}");
            return await TextValueAsync(run, TestFunctions.TimedOutValue, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Starts N children at once (child i gets the UTF-8 text "payload-i"), waits for all, returns "parent:" + their values joined by ",".</summary>
    private static async Task<FunctionOutcome> CallManyAsync(AllocationRunner run, FunctionInput input, CancellationToken cancellationToken)
    {
        var function = input.GetString(TestFunctions.Input.Function) ?? TestFunctions.Echo;
        var payload = input.GetString(TestFunctions.Input.Payload) ?? TestFunctions.DefaultCallManyPayload;
        var specs = Enumerable.Range(0, run.Script.CallCount)
            .Select(i => new ChildCallSpec(function, TextArgument(string.Create(CultureInfo.InvariantCulture, $"{payload}-{i}"))))
            .ToList();
        var calls = await run.StartFunctionCallsAsync(specs, cancellationToken).ConfigureAwait(false);
        var results = await run.WatchFunctionCallsAsync(calls, timeout: null, cancellationToken).ConfigureAwait(false);
        var values = results.Select((r, i) => System.Text.Encoding.UTF8.GetString(r.ValueOrThrow(calls[i])));
        return await TextValueAsync(run, TestFunctions.CallAndWaitPrefix + string.Join(TestFunctions.CallManySeparator, values), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts a child whose argument cannot be serialized. User code catches the SerializationError and returns
    /// "creation failed: " + its message; if the call was started after all it returns "started". Any other failure
    /// (a non-OK ack without the same metadata) is FUNCTION_ERROR.
    /// </summary>
    private static async Task<FunctionOutcome> CallCreationFailedAsync(AllocationRunner run, FunctionInput input, CancellationToken cancellationToken)
    {
        var spec = new ChildCallSpec(input.GetString(TestFunctions.Input.Function) ?? TestFunctions.Echo, Argument: null, SerializationFailure: TestFunctions.CreationFailedMetadata());
        try
        {
            await run.StartFunctionCallsAsync([spec], cancellationToken).ConfigureAwait(false);
        }
        catch (SerializationErrorException ex)
        {
            return await TextValueAsync(run, TestFunctions.CreationFailedPrefix + ex.Message, cancellationToken).ConfigureAwait(false);
        }

        return await TextValueAsync(run, TestFunctions.StartedValue, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts one child (as call_and_wait) and returns "fired:" + its id at once, without waiting for it.</summary>
    private static async Task<FunctionOutcome> FireAndForgetAsync(AllocationRunner run, FunctionInput input, CancellationToken cancellationToken)
    {
        var call = (await run.StartFunctionCallsAsync([ChildOf(input)], cancellationToken).ConfigureAwait(false))[0];
        return await TextValueAsync(run, TestFunctions.FiredPrefix + call.Id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One call to input.function (default echo) in the same application; its argument is input.payload as UTF-8 text, else the whole input.</summary>
    private static ChildCallSpec ChildOf(FunctionInput input)
    {
        var function = input.GetString(TestFunctions.Input.Function) ?? TestFunctions.Echo;
        var payload = input.GetString(TestFunctions.Input.Payload);
        return payload is null
            ? new ChildCallSpec(function, new ChildArgument(new BytesSource(input.Bytes), input.Encoding, input.EncodingVersion, input.ContentType))
            : new ChildCallSpec(function, TextArgument(payload));
    }

    private static ChildArgument TextArgument(string text) => new(new BytesSource(FunctionInput.Utf8(text)), SerializedObjectEncoding.Utf8Text, 0, TextContentType);

    /// <summary>prepare_write, upload, commit_write, prepare_read, read back; returns what was read.</summary>
    private static async Task<FunctionOutcome> StateWriteReadAsync(AllocationRunner run, FunctionInput input, CancellationToken cancellationToken)
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
        return new FunctionOutcome.Value(value, uploadedValue);
    }

    /// <summary>prepare_read of a key nobody wrote: NOT_FOUND ⇒ "not found"; found ⇒ "found:" + bytes.</summary>
    private static async Task<FunctionOutcome> StateReadMissingAsync(AllocationRunner run, FunctionInput input, CancellationToken cancellationToken)
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

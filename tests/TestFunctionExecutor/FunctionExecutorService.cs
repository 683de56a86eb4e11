using Executor.Protocol.FunctionExecutorV1;
using Grpc.Core;

namespace TestFunctionExecutor;

/// <summary>
/// The FunctionExecutor gRPC service with the real FE's answers and error codes, except that
/// the "function" is a script picked by the function name (see <see cref="FunctionScript"/>).
/// </summary>
internal sealed class FunctionExecutorService(FunctionExecutorHost host) : FunctionExecutor.FunctionExecutorBase
{
    public override Task<InfoResponse> get_info(InfoRequest request, ServerCallContext context)
        => Task.FromResult(new InfoResponse
        {
            Version = "0.1.2",
            SdkVersion = "0.0.0-test",
            SdkLanguage = "dotnet-test",
            SdkLanguageVersion = Environment.Version.ToString(),
        });

    public override async Task<InitializeResponse> initialize(InitializeRequest request, ServerCallContext context)
    {
        // Like the 0.3.9 FE: an invalid request raises in the servicer, which gRPC reports as UNKNOWN.
        var problem = Validate(request);
        if (problem is not null)
        {
            FeLog.Error($"initialize rejected: {problem}");
            throw new RpcException(new Status(StatusCode.Unknown, $"Exception calling application: ValueError: {problem}"));
        }

        await host.InitializationLock.WaitAsync(context.CancellationToken).ConfigureAwait(false);
        try
        {
            if (host.Script is not null)
            {
                return Failure("already initialized");
            }

            var function = request.Function;
            var script = FunctionScript.Parse(function.FunctionName);
            FeLog.Info($"initializing {function.Namespace}/{function.ApplicationName}@{function.ApplicationVersion}/{function.FunctionName}");
            if (script.Ignored.Count > 0)
            {
                FeLog.Error($"function name segments with no behaviour (ignored): {string.Join(", ", script.Ignored)}");
            }

            if (script.InitDelayMs > 0)
            {
                await Task.Delay(script.InitDelayMs, context.CancellationToken).ConfigureAwait(false);
            }

            switch (script.Init)
            {
                case InitBehaviour.Error:
                    return Failure("scripted constructor exception");
                case InitBehaviour.Hang:
                    FeLog.Info("initialize hanging as scripted");
                    await Task.Delay(Timeout.Infinite, context.CancellationToken).ConfigureAwait(false);
                    break;
                case InitBehaviour.Crash:
                    ProcessExit.Crash("crash during initialize");
                    break;
            }

            host.MarkInitialized(function.Clone(), script);
            if (script.CrashIdleMs is { } crashAfter)
            {
                _ = CrashLaterAsync(crashAfter);
            }

            FeLog.Info("initialized");
            return new InitializeResponse { OutcomeCode = InitializationOutcomeCode.Success };
        }
        finally
        {
            host.InitializationLock.Release();
        }
    }

    public override async Task<HealthCheckResponse> check_health(HealthCheckRequest request, ServerCallContext context)
    {
        var script = host.Script ?? throw new RpcException(new Status(StatusCode.Unavailable, "Function Executor is not initialized, please initialize it first"));
        if (script.HangHealth)
        {
            // Never answers; the caller's deadline or cancellation ends the call.
            await Task.Delay(Timeout.Infinite, context.CancellationToken).ConfigureAwait(false);
        }

        return script.Unhealthy
            ? new HealthCheckResponse { Healthy = false, StatusMessage = TestFunctions.UnhealthyMessage }
            : new HealthCheckResponse { Healthy = true, StatusMessage = "Function Executor gRPC channel is healthy" };
    }

    public override Task<ListAllocationsResponse> list_allocations(ListAllocationsRequest request, ServerCallContext context)
    {
        var response = new ListAllocationsResponse();
        response.Allocations.AddRange(host.Allocations.Values.Select(a => a.Describe()));
        return Task.FromResult(response);
    }

    public override Task<Empty> create_allocation(CreateAllocationRequest request, ServerCallContext context)
    {
        var script = host.Script;
        if (script is null || host.Function is null)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, "Function Executor is not initialized"));
        }

        var allocation = request.Allocation;
        var problem = Validate(allocation);
        if (problem is not null)
        {
            FeLog.Error($"create_allocation rejected: {problem}");
            throw new RpcException(new Status(StatusCode.Unknown, $"Exception calling application: ValueError: {problem}"));
        }

        var runner = new AllocationRunner(allocation.Clone(), host, script, host.Function);
        if (!host.Allocations.TryAdd(allocation.AllocationId, runner))
        {
            throw new RpcException(new Status(StatusCode.AlreadyExists, $"Allocation {allocation.AllocationId} already exists"));
        }

        runner.Start();
        return Task.FromResult(new Empty());
    }

    public override async Task watch_allocation_state(WatchAllocationStateRequest request, IServerStreamWriter<AllocationState> responseStream, ServerCallContext context)
    {
        var runner = Find(request.AllocationId);
        if (host.Script?.GarbageWatch == true)
        {
            // A 5-byte gRPC frame header (uncompressed, length 11) and a varint that never ends: no protobuf parser accepts it.
            var response = context.GetHttpContext().Response;
            await response.Body.WriteAsync(new byte[] { 0, 0, 0, 0, 11, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }, context.CancellationToken).ConfigureAwait(false);
            await response.Body.FlushAsync(context.CancellationToken).ConfigureAwait(false);
            await Task.Delay(Timeout.Infinite, context.CancellationToken).ConfigureAwait(false);
        }

        string? lastSeenHash = null;
        while (true)
        {
            var state = await runner.State.WaitForChangeAsync(lastSeenHash, context.CancellationToken).ConfigureAwait(false);
            lastSeenHash = state.Sha256Hash;
            await responseStream.WriteAsync(state, context.CancellationToken).ConfigureAwait(false);
            runner.State.MarkWatched();
            if (state.Result is not null)
            {
                return;
            }

            if (host.Script?.BreakWatch == true && runner.TryClaimWatchBreak())
            {
                // Reset the HTTP/2 stream as a dropped connection would; the allocation keeps running.
                context.GetHttpContext().Abort();
                return;
            }
        }
    }

    public override Task<Empty> send_allocation_update(AllocationUpdate request, ServerCallContext context)
    {
        var runner = Find(request.AllocationId);
        if (runner.Finished)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"Allocation {request.AllocationId} is already finished"));
        }

        runner.Deliver(request);
        return Task.FromResult(new Empty());
    }

    public override Task<Empty> delete_allocation(DeleteAllocationRequest request, ServerCallContext context)
    {
        var runner = Find(request.AllocationId);
        if (!runner.Finished)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"Allocation {request.AllocationId} is still running and cannot be deleted"));
        }

        host.Allocations.TryRemove(request.AllocationId, out _);
        return Task.FromResult(new Empty());
    }

    private AllocationRunner Find(string allocationId)
        => host.Allocations.TryGetValue(allocationId, out var runner)
            ? runner
            : throw new RpcException(new Status(StatusCode.NotFound, $"Allocation {allocationId} not found"));

    private static InitializeResponse Failure(string why)
    {
        FeLog.Error($"function executor service initialization failed: {why}");
        return new InitializeResponse { OutcomeCode = InitializationOutcomeCode.Failure, FailureReason = InitializationFailureReason.FunctionError };
    }

    private async Task CrashLaterAsync(int milliseconds)
    {
        try
        {
            await Task.Delay(milliseconds, host.Stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        ProcessExit.Crash($"crash_idle after {milliseconds} ms");
    }

    /// <summary>The real FE's InitializeRequestValidator: complete FunctionRef, BINARY_ZIP application code.</summary>
    private static string? Validate(InitializeRequest request)
    {
        if (request.Function is not { } f)
        {
            return "Field 'function' is required";
        }

        if (!f.HasNamespace || !f.HasApplicationName || !f.HasFunctionName || !f.HasApplicationVersion)
        {
            return "FunctionRef requires namespace, application_name, function_name and application_version";
        }

        if (request.ApplicationCode is not { Manifest: { } manifest })
        {
            return "Field 'application_code' with a manifest is required";
        }

        return manifest.Encoding == SerializedObjectEncoding.BinaryZip
            ? null
            : $"Invalid application code encoding: {manifest.Encoding}. Expected: BINARY_ZIP";
    }

    /// <summary>The real FE's validate_new_allocation.</summary>
    private static string? Validate(Allocation? allocation)
    {
        if (allocation is null)
        {
            return "Field 'allocation' is required";
        }

        if (!allocation.HasRequestId || !allocation.HasFunctionCallId || !allocation.HasAllocationId || allocation.Inputs is null)
        {
            return "Allocation requires request_id, function_call_id, allocation_id and inputs";
        }

        if (allocation.Result is not null)
        {
            return "Field 'result' must not be set";
        }

        if (allocation.Inputs.RequestErrorBlob is null)
        {
            return "Field 'request_error_blob' is required";
        }

        return allocation.Inputs.Args.Count == allocation.Inputs.ArgBlobs.Count
            ? null
            : $"Mismatched function arguments and functions argument blobs lengths, {allocation.Inputs.Args.Count} != {allocation.Inputs.ArgBlobs.Count}";
    }
}

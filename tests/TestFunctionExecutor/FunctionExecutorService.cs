using Executor.Protocol.FunctionExecutorV1;
using Grpc.Core;

namespace TestFunctionExecutor;

/// <summary>
/// The FunctionExecutor gRPC service with the real FE's answers and error codes, except that
/// the "function" is a script picked by the function name (see <see cref="FunctionScript"/>).
/// 0.1.2 answers as the real FE 0.3.9; 0.1.3 as the real FE G2 (tensorlake &gt;= 0.5.106), whose
/// execution-log and event-log RPCs are in FunctionExecutorService.ExecutionLog.cs.
/// </summary>
internal sealed partial class FunctionExecutorService(FunctionExecutorHost host) : FunctionExecutor.FunctionExecutorBase
{
    private bool Speaks013 => host.Protocol.Speaks013;

    public override Task<InfoResponse> get_info(InfoRequest request, ServerCallContext context)
        => Task.FromResult(new InfoResponse
        {
            Version = host.Protocol.Reported,
            SdkVersion = "0.0.0-test",
            SdkLanguage = "dotnet-test",
            SdkLanguageVersion = Environment.Version.ToString(),
        });

    public override async Task<InitializeResponse> initialize(InitializeRequest request, ServerCallContext context)
    {
        if (Speaks013)
        {
            ThrowIfStopping();
            using var _ = host.BeginInitialization();
            await host.InitializationLock.WaitAsync(context.CancellationToken).ConfigureAwait(false);
            try
            {
                ThrowIfStopping();
                if (host.Script is not null)
                {
                    return Failure(InitializationFailureReason.FunctionError, "already initialized", "Function Executor is already initialized");
                }

                // G2: an invalid request is a failed initialization, not an RPC error.
                if (RequestValidation.Initialize013(request) is { } invalid)
                {
                    return Failure(InitializationFailureReason.FunctionError, $"invalid initialization request: {invalid}", $"ValueError: {invalid}");
                }

                return await InitializeScriptAsync(request.Function, context.CancellationToken).ConfigureAwait(false);
            }
            finally
            {
                host.InitializationLock.Release();
            }
        }

        // Like the 0.3.9 FE: an invalid request raises in the servicer, which gRPC reports as UNKNOWN.
        if (RequestValidation.Initialize012(request) is { } problem)
        {
            FeLog.Error($"initialize rejected: {problem}");
            throw new RpcException(new Status(StatusCode.Unknown, $"Exception calling application: ValueError: {problem}"));
        }

        await host.InitializationLock.WaitAsync(context.CancellationToken).ConfigureAwait(false);
        try
        {
            return host.Script is not null
                ? Failure(InitializationFailureReason.FunctionError, "already initialized", errorMessage: null)
                : await InitializeScriptAsync(request.Function, context.CancellationToken).ConfigureAwait(false);
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

    public override async Task<Empty> create_allocation(CreateAllocationRequest request, ServerCallContext context)
    {
        var allocation = request.Allocation;
        if (Speaks013)
        {
            await Admit013Async(allocation, context).ConfigureAwait(false);
        }
        else
        {
            Admit012(allocation);
        }

        var runner = host.CreateRunner(allocation.Clone(), host.Script!, host.Function!);
        if (Speaks013 && host.AdmissionClosed)
        {
            throw ShuttingDown();
        }

        if (!host.Allocations.TryAdd(allocation.AllocationId, runner))
        {
            throw new RpcException(new Status(StatusCode.AlreadyExists, $"Allocation {allocation.AllocationId} already exists"));
        }

        runner.Start();
        return new Empty();
    }

    /// <summary>
    /// Snapshots of the allocation state, one per change. 0.1.2: ends after the first snapshot with a result.
    /// 0.1.3: ends once the allocation is fully finished.
    /// </summary>
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
            if (state is null)
            {
                return;
            }

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

    /// <summary>Replies to the allocation's requests; 0.1.3 accepts only output_blob and request_state_operation_result.</summary>
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

        host.Allocations.TryRemove(new KeyValuePair<string, AllocationRunner>(request.AllocationId, runner));
        return Task.FromResult(new Empty());
    }

    private AllocationRunner Find(string allocationId)
        => host.Allocations.TryGetValue(allocationId, out var runner)
            ? runner
            : throw new RpcException(new Status(StatusCode.NotFound, $"Allocation {allocationId} not found"));

    /// <summary>The scripted part of initialize: delay, then the init behaviour.</summary>
    private async Task<InitializeResponse> InitializeScriptAsync(FunctionRef function, CancellationToken cancellationToken)
    {
        var script = FunctionScript.Parse(function.FunctionName);
        FeLog.Info($"initializing {function.Namespace}/{function.ApplicationName}@{function.ApplicationVersion}/{function.FunctionName}");
        if (script.Ignored.Count > 0)
        {
            FeLog.Error($"function name segments with no behaviour (ignored): {string.Join(", ", script.Ignored)}");
        }

        if (script.InitDelayMs > 0)
        {
            await Task.Delay(script.InitDelayMs, cancellationToken).ConfigureAwait(false);
        }

        switch (script.Init)
        {
            case InitBehaviour.Error:
                return Failure(InitializationFailureReason.FunctionError, "scripted constructor exception", Speaks013 ? TestFunctions.InitErrorMessage : null);
            case InitBehaviour.Hang:
                FeLog.Info("initialize hanging as scripted");
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
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

    /// <summary>0.1.2 admission: FAILED_PRECONDITION before initialize, UNKNOWN for an invalid allocation.</summary>
    private void Admit012(Allocation? allocation)
    {
        if (host.Script is null || host.Function is null)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, "Function Executor is not initialized"));
        }

        if (RequestValidation.Allocation012(allocation) is { } problem)
        {
            FeLog.Error($"create_allocation rejected: {problem}");
            throw new RpcException(new Status(StatusCode.Unknown, $"Exception calling application: ValueError: {problem}"));
        }
    }

    /// <summary>
    /// 0.1.3 (G2) admission: UNAVAILABLE while stopping; waits while an initialize runs (DEADLINE_EXCEEDED / CANCELLED
    /// if the call ends first); FAILED_PRECONDITION when not (successfully) initialized; INVALID_ARGUMENT for an invalid
    /// allocation. ALREADY_EXISTS is checked by the caller.
    /// </summary>
    private async Task Admit013Async(Allocation? allocation, ServerCallContext context)
    {
        ThrowIfStopping();
        while (host.InitializationInProgress)
        {
            if (context.Deadline <= DateTime.UtcNow)
            {
                throw new RpcException(new Status(StatusCode.DeadlineExceeded, "Initialization did not finish before the allocation deadline"));
            }

            if (context.CancellationToken.IsCancellationRequested)
            {
                throw new RpcException(new Status(StatusCode.Cancelled, "Create allocation RPC was cancelled during initialization"));
            }

            // The real FE polls every 100 ms, honouring the call's deadline.
            await Task.Delay(TimeSpan.FromMilliseconds(100), CancellationToken.None).ConfigureAwait(false);
        }

        ThrowIfStopping();
        if (host.Script is null || host.Function is null)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                host.InitializationAttempted ? "Function Executor initialization failed" : "Function Executor is not initialized"));
        }

        if (RequestValidation.Allocation013(allocation) is { } problem)
        {
            FeLog.Error($"create_allocation rejected: {problem}");
            throw new RpcException(new Status(StatusCode.InvalidArgument, problem));
        }
    }

    private void ThrowIfStopping()
    {
        if (host.AdmissionClosed)
        {
            throw ShuttingDown();
        }
    }

    private static RpcException ShuttingDown() => new(new Status(StatusCode.Unavailable, "Function Executor is shutting down"));

    private static InitializeResponse Failure(InitializationFailureReason reason, string why, string? errorMessage)
    {
        FeLog.Error($"function executor service initialization failed: {why}");
        var response = new InitializeResponse { OutcomeCode = InitializationOutcomeCode.Failure, FailureReason = reason };
        if (errorMessage is not null)
        {
            response.ErrorMessage = errorMessage;
        }

        return response;
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
}

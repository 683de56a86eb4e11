using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.Allocations.Tests.Infrastructure;

/// <summary>What a scripted FE does beyond the protocol's happy path.</summary>
internal sealed record ScriptedFunctionExecutorOptions
{
    /// <summary>Breaks the first event-log read stream (UNAVAILABLE) right after the first answer is accepted.</summary>
    public bool BreakReadsStreamAfterFirstAnswer { get; init; }

    /// <summary>A reopened read stream first gets the read that was already answered (a republish racing the answer).</summary>
    public bool RepublishAnsweredRead { get; init; }

    /// <summary>The connection breaks under the first advance: before the FE applied it, or after (the executor cannot tell).</summary>
    public BrokenAdvance BreakFirstAdvance { get; init; }
}

public enum BrokenAdvance
{
    None,
    BeforeApplying,
    AfterApplying,
}

/// <summary>
/// A Function Executor speaking protocol 0.1.3 on 127.0.0.1 for one allocation, driven by a script that plays its user
/// code (see <see cref="ScriptedAllocation"/>). It behaves as the tensorlake FE does where the executor can tell: one
/// outstanding event-log read from the start, the same batch until advanced, pages checked entry by entry, a read
/// republished to every stream, delete refused until the allocation finished. Whatever the executor does that the
/// real FE would fail the allocation for is recorded in <see cref="ScriptedAllocation.Violations"/>.
/// </summary>
internal sealed class ScriptedFunctionExecutor : Fe.FunctionExecutor.FunctionExecutorBase, IAsyncDisposable
{
    private readonly Func<ScriptedAllocation, Task> _script;
    private readonly ScriptedFunctionExecutorOptions _options;
    private readonly TaskCompletionSource<ScriptedAllocation> _allocation = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WebApplication? _app;

    private ScriptedFunctionExecutor(Func<ScriptedAllocation, Task> script, ScriptedFunctionExecutorOptions options)
    {
        _script = script;
        _options = options;
    }

    /// <summary>host:port of its gRPC server.</summary>
    public string Address { get; private set; } = string.Empty;

    /// <summary>The allocation once the executor created it.</summary>
    public Task<ScriptedAllocation> Allocation => _allocation.Task;

    public static async Task<ScriptedFunctionExecutor> StartAsync(Func<ScriptedAllocation, Task> script, ScriptedFunctionExecutorOptions? options = null)
    {
        var fe = new ScriptedFunctionExecutor(script, options ?? new ScriptedFunctionExecutorOptions());
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(System.Net.IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(fe);
        var app = builder.Build();
        app.MapGrpcService<ScriptedFunctionExecutor>();
        await app.StartAsync();
        fe._app = app;
        fe.Address = new Uri(app.Urls.Single()).Authority;
        return fe;
    }

    public override Task<Fe.Empty> create_allocation(Fe.CreateAllocationRequest request, ServerCallContext context)
    {
        var allocation = request.Allocation;
        if (allocation?.Inputs?.RequestErrorBlob is null || !allocation.HasAllocationId)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "allocation without id or request_error_blob"));
        }

        if (Allocation.IsCompleted)
        {
            throw new RpcException(new Status(StatusCode.AlreadyExists, "allocation exists"));
        }

        var scripted = new ScriptedAllocation(allocation, _options);
        _allocation.SetResult(scripted);
        scripted.Run(_script);
        return Task.FromResult(new Fe.Empty());
    }

    public override async Task watch_allocation_state(Fe.WatchAllocationStateRequest request, IServerStreamWriter<Fe.AllocationState> responseStream, ServerCallContext context) =>
        await (await Known(request.AllocationId)).WatchStateAsync(responseStream, context.CancellationToken);

    public override async Task<Fe.Empty> send_allocation_update(Fe.AllocationUpdate request, ServerCallContext context)
    {
        (await Known(request.AllocationId)).OnUpdate(request);
        return new Fe.Empty();
    }

    public override async Task<Fe.GetAllocationExecutionLogBatchResponse> get_allocation_execution_log_batch(Fe.GetAllocationExecutionLogBatchRequest request, ServerCallContext context) =>
        await (await Known(request.AllocationId)).GetBatchAsync(context.CancellationToken);

    public override async Task<Fe.Empty> advance_allocation_execution_log_batch(Fe.AdvanceAllocationExecutionLogBatchRequest request, ServerCallContext context)
    {
        var allocation = await Known(request.AllocationId);
        if (_options.BreakFirstAdvance != BrokenAdvance.None && Interlocked.Exchange(ref _advanceBroken, 1) == 0)
        {
            if (_options.BreakFirstAdvance == BrokenAdvance.AfterApplying)
            {
                allocation.Advance();
            }

            context.GetHttpContext().Abort();
            return await new TaskCompletionSource<Fe.Empty>().Task.WaitAsync(context.CancellationToken);
        }

        allocation.Advance();
        return new Fe.Empty();
    }

    private int _advanceBroken;

    public override async Task watch_allocation_event_log_reads(Fe.WatchAllocationEventLogReads request, IServerStreamWriter<Fe.ReadAllocationEventLogRequest> responseStream, ServerCallContext context) =>
        await (await Known(request.AllocationId)).WatchReadsAsync(responseStream, context.CancellationToken);

    public override async Task<Fe.Empty> send_allocation_event_log_read_response(Fe.ReadAllocationEventLogResponse request, ServerCallContext context)
    {
        (await Known(request.AllocationId)).OnReadResponse(request);
        return new Fe.Empty();
    }

    public override async Task<Fe.Empty> delete_allocation(Fe.DeleteAllocationRequest request, ServerCallContext context)
    {
        (await Known(request.AllocationId)).Delete();
        return new Fe.Empty();
    }

    private async Task<ScriptedAllocation> Known(string allocationId)
    {
        if (!Allocation.IsCompleted || (await Allocation).Id != allocationId)
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"Allocation {allocationId} not found"));
        }

        return await Allocation;
    }

    public async ValueTask DisposeAsync()
    {
        if (Allocation.IsCompleted)
        {
            await (await Allocation).StopAsync();
        }

        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}

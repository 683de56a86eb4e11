using Executor.Protocol.FunctionExecutorV1;
using Grpc.Core;
using TestFunctionExecutor.Tests.Infrastructure;

namespace TestFunctionExecutor.Tests.Protocol013;

public sealed class Sleep013FunctionExecutor() : InitializedFunctionExecutor013(TestFunctions.Sleep);

/// <summary>0.1.3 allocation RPCs outside the logs: the state stream, send_allocation_update, delete_allocation, list_allocations.</summary>
public sealed class AllocationRpcTests(Sleep013FunctionExecutor fixture) : IClassFixture<Sleep013FunctionExecutor>
{
    private FunctionExecutor.FunctionExecutorClient Client => fixture.Client;

    private static DateTime Deadline => FunctionExecutorProcess.Deadline;

    [Fact]
    public async Task Send_allocation_update_accepts_only_output_blobs_and_request_state_results()
    {
        var allocation = AllocationInputs.Json(fixture.Directory, "legacy-updates", "60000");
        await Client.create_allocationAsync(new CreateAllocationRequest { Allocation = allocation }, deadline: Deadline);
        var id = allocation.AllocationId;

        async Task<RpcException> Rejected(AllocationUpdate update)
        {
            update.AllocationId = id;
            return await Assert.ThrowsAsync<RpcException>(() => Client.send_allocation_updateAsync(update, deadline: Deadline).ResponseAsync);
        }

        foreach (var legacy in new[]
        {
            new AllocationUpdate { FunctionCallResult = new AllocationFunctionCallResult { FunctionCallId = "c", OutcomeCode = AllocationOutcomeCode.Success } },
            new AllocationUpdate { FunctionCallCreationResult = new AllocationFunctionCallCreationResult { FunctionCallId = "c" } },
            new AllocationUpdate { OutputBlobDeprecated = new BLOB { Id = "b" } },
            new AllocationUpdate(),
        })
        {
            var error = await Rejected(legacy);
            Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
            Assert.StartsWith("Unknown update type", error.Status.Detail, StringComparison.Ordinal);
        }

        // Replies for ids nobody waits for are accepted (and ignored).
        await Client.send_allocation_updateAsync(new AllocationUpdate { AllocationId = id, OutputBlob = new AllocationOutputBlob { Blob = new BLOB { Id = "nobody" } } }, deadline: Deadline);
        await Client.send_allocation_updateAsync(new AllocationUpdate { AllocationId = id, RequestStateOperationResult = new AllocationRequestStateOperationResult { OperationId = "nobody" } }, deadline: Deadline);
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() => Client.send_allocation_updateAsync(new AllocationUpdate { AllocationId = "nope", OutputBlob = new AllocationOutputBlob() }, deadline: Deadline).ResponseAsync)).StatusCode);
    }

    [Fact]
    public async Task Delete_is_refused_until_the_allocation_is_fully_finished_and_the_state_stream_then_ends()
    {
        var allocation = AllocationInputs.Json(fixture.Directory, "delete-later", "300");
        var id = allocation.AllocationId;
        await using var raw = await RawAllocation013.CreateAsync(Client, fixture.Directory, allocation);

        var early = await Assert.ThrowsAsync<RpcException>(() => Client.delete_allocationAsync(new DeleteAllocationRequest { AllocationId = id }, deadline: Deadline).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, early.StatusCode);

        Assert.Equal(AllocationOutcomeCode.Success, (await raw.FinishAsync()).OutcomeCode);
        await raw.WaitUntilFinishedAsync();

        // Finished: no more updates; list_allocations shows the allocation as created (never a result).
        var late = await Assert.ThrowsAsync<RpcException>(() => Client.send_allocation_updateAsync(new AllocationUpdate { AllocationId = id, OutputBlob = new AllocationOutputBlob { Blob = new BLOB { Id = "x" } } }, deadline: Deadline).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, late.StatusCode);
        var listed = Assert.Single((await Client.list_allocationsAsync(new ListAllocationsRequest(), deadline: Deadline)).Allocations, a => a.AllocationId == id);
        Assert.Equal(allocation, listed);

        // The state never carried calls, watchers or a result; a stream opened now gets one snapshot and ends.
        Assert.All(raw.StateSide.States, s => Assert.True(s.FunctionCalls.Count == 0 && s.FunctionCallWatchers.Count == 0 && s.Result is null));
        using (var watch = Client.watch_allocation_state(new WatchAllocationStateRequest { AllocationId = id }, deadline: Deadline))
        {
            Assert.True(await watch.ResponseStream.MoveNext(CancellationToken.None));
            Assert.False(await watch.ResponseStream.MoveNext(CancellationToken.None));
        }

        await Client.delete_allocationAsync(new DeleteAllocationRequest { AllocationId = id }, deadline: Deadline);
        Assert.DoesNotContain((await Client.list_allocationsAsync(new ListAllocationsRequest(), deadline: Deadline)).Allocations, a => a.AllocationId == id);
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() => Client.delete_allocationAsync(new DeleteAllocationRequest { AllocationId = id }, deadline: Deadline).ResponseAsync)).StatusCode);
    }

    [Fact]
    public async Task A_corrupt_argument_finishes_internal_error_before_any_read()
    {
        var bytes = "\"payload\""u8.ToArray();
        var manifest = FileBlobs.Manifest(bytes, SerializedObjectEncoding.Utf8Json);
        manifest.Sha256Hash = new string('0', 64);
        var allocation = AllocationInputs.Create(fixture.Directory, "corrupt-013", bytes, manifestOverride: manifest);
        await using var raw = await RawAllocation013.CreateAsync(Client, fixture.Directory, allocation);

        var finish = await raw.FinishAsync();

        Assert.Equal((AllocationOutcomeCode.Failure, AllocationFailureReason.InternalError), (finish.OutcomeCode, finish.FailureReason));
        using var reads = raw.OpenReads();
        Assert.Empty(await reads.RestAsync());
    }
}

using Executor.Protocol.FunctionExecutorV1;
using Grpc.Core;
using TestFunctionExecutor.Tests.Infrastructure;

namespace TestFunctionExecutor.Tests.Protocol013;

public sealed class ExecutionLogFunctionExecutor() : InitializedFunctionExecutor013(TestFunctions.CallAndWait);

/// <summary>get_allocation_execution_log_batch / advance_allocation_execution_log_batch, driven by hand.</summary>
public sealed class ExecutionLogTests(ExecutionLogFunctionExecutor fixture) : IClassFixture<ExecutionLogFunctionExecutor>
{
    private FunctionExecutor.FunctionExecutorClient Client => fixture.Client;

    [Fact]
    public async Task Get_waits_for_a_batch_repeats_the_head_until_advanced_and_ends_with_an_empty_batch()
    {
        var allocation = AllocationInputs.Json(fixture.Directory, "log-basics", """{"payload":"arg"}""");
        await Client.create_allocationAsync(new CreateAllocationRequest { Allocation = allocation }, deadline: FunctionExecutorProcess.Deadline);

        // The create batch needs the args BLOB first, which nobody has answered yet: get must wait for it.
        var firstGet = Client.get_allocation_execution_log_batchAsync(new GetAllocationExecutionLogBatchRequest { AllocationId = allocation.AllocationId }, deadline: FunctionExecutorProcess.Deadline).ResponseAsync;
        await using var raw = RawAllocation013.Attach(Client, fixture.Directory, allocation.AllocationId);
        var create = Assert.Single((await firstGet).Events);
        Assert.Equal(AllocationExecutionEvent.EventOneofCase.CreateFunctionCall, create.EventCase);
        var durableId = create.CreateFunctionCall.Updates.RootFunctionCallId;

        // Not advanced: the same batch again, even after the FE moved on to its next batch.
        Assert.Equal(create, Assert.Single(await raw.GetAsync()));
        using var reads = raw.OpenReads();
        raw.EventLog.Created(durableId);
        await raw.AnswerAsync(await reads.NextAsync());
        await fixture.Fe.WaitForOutputAsync($"{allocation.AllocationId}: execution log batch: create_function_call_watcher {durableId}");
        Assert.Equal(create, Assert.Single(await raw.GetAsync()));

        await raw.AdvanceAsync();
        var watcher = Assert.Single(await raw.GetAsync());
        Assert.Equal(durableId, watcher.CreateFunctionCallWatcher.FunctionCallId);
        await raw.AdvanceAsync();

        raw.EventLog.WatcherCreated(durableId);
        raw.EventLog.WatcherResult(durableId, raw.ChildValue("log-basics-child", "v"));
        await raw.AnswerAsync(await reads.NextAsync());
        var finish = Assert.Single(await raw.GetAsync()).FinishAllocation;
        Assert.Equal(AllocationOutcomeCode.Success, finish.OutcomeCode);
        await raw.AdvanceAsync();

        // Finished and advanced: an empty batch means "nothing more, ever"; advancing nothing is fine.
        Assert.Empty(await raw.GetAsync());
        Assert.Empty(await raw.GetAsync());
        await raw.AdvanceAsync();

        await raw.WaitUntilFinishedAsync();
        await Client.delete_allocationAsync(new DeleteAllocationRequest { AllocationId = allocation.AllocationId }, deadline: FunctionExecutorProcess.Deadline);
        var deleted = await Assert.ThrowsAsync<RpcException>(() => raw.GetAsync());
        Assert.Equal(StatusCode.NotFound, deleted.StatusCode);
    }

    [Fact]
    public async Task Advance_is_not_idempotent_a_second_advance_drops_the_next_unseen_batch()
    {
        var allocation = AllocationInputs.Json(fixture.Directory, "log-double-advance", "{}");
        await using var raw = await RawAllocation013.CreateAsync(Client, fixture.Directory, allocation);
        var durableId = Assert.Single(await raw.GetAsync()).CreateFunctionCall.Updates.RootFunctionCallId;
        using var reads = raw.OpenReads();
        raw.EventLog.Created(durableId);
        await raw.AnswerAsync(await reads.NextAsync());
        await fixture.Fe.WaitForOutputAsync($"{allocation.AllocationId}: execution log batch: create_function_call_watcher {durableId}");

        await raw.AdvanceAsync();
        await raw.AdvanceAsync();

        // The watcher batch is gone unseen; the FE waits for a watcher_created nobody will send.
        var error = await Assert.ThrowsAsync<RpcException>(() => raw.GetAsync(TimeSpan.FromMilliseconds(500)));
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    [Fact]
    public async Task Unknown_allocations_are_not_found()
    {
        async Task<StatusCode> CodeOf(Func<Task> call) => (await Assert.ThrowsAsync<RpcException>(call)).StatusCode;

        Assert.Equal(StatusCode.NotFound, await CodeOf(() => Client.get_allocation_execution_log_batchAsync(new GetAllocationExecutionLogBatchRequest { AllocationId = "nope" }, deadline: FunctionExecutorProcess.Deadline).ResponseAsync));
        Assert.Equal(StatusCode.NotFound, await CodeOf(() => Client.get_allocation_execution_log_batchAsync(new GetAllocationExecutionLogBatchRequest(), deadline: FunctionExecutorProcess.Deadline).ResponseAsync));
        Assert.Equal(StatusCode.NotFound, await CodeOf(() => Client.advance_allocation_execution_log_batchAsync(new AdvanceAllocationExecutionLogBatchRequest { AllocationId = "nope" }, deadline: FunctionExecutorProcess.Deadline).ResponseAsync));
        Assert.Equal(StatusCode.NotFound, await CodeOf(() => Client.send_allocation_event_log_read_responseAsync(new ReadAllocationEventLogResponse { AllocationId = "nope" }, deadline: FunctionExecutorProcess.Deadline).ResponseAsync));
        using var reads = new ReadsStream(Client, "nope");
        Assert.Equal(StatusCode.NotFound, await CodeOf(() => reads.NextAsync()));
    }
}

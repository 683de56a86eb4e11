using Executor.Protocol.FunctionExecutorV1;
using Grpc.Core;
using TestFunctionExecutor.Tests.Infrastructure;

namespace TestFunctionExecutor.Tests.Protocol013;

/// <summary>SIGTERM on a 0.1.3 FE (G2): admission stops, running allocations finish FUNCTION_ERROR, their terminal batches can still be fetched, exit 0.</summary>
public sealed class ShutdownTests
{
    [Fact]
    public async Task Sigterm_finishes_running_allocations_with_a_function_error_that_the_executor_can_still_fetch()
    {
        var (fe, dir) = await SingleUse.Start013Async(TestFunctions.Hang);
        await using var _ = fe;
        using var __ = dir;
        await using var raw = await RawAllocation013.CreateAsync(fe.Client, dir, AllocationInputs.Json(dir, "running", "{}"));
        using var reads = raw.OpenReads();
        Assert.Equal(0UL, (await reads.NextAsync()).AfterClock);
        var get = raw.GetAsync();

        fe.Terminate();

        var finish = Assert.Single(await get).FinishAllocation;
        Assert.Equal((AllocationOutcomeCode.Failure, AllocationFailureReason.FunctionError), (finish.OutcomeCode, finish.FailureReason));
        Assert.Empty(await reads.RestAsync());
        Assert.Equal(0, await fe.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(": stopped", fe.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sigterm_stops_admission_while_terminal_batches_drain()
    {
        var (fe, dir) = await SingleUse.Start013Async(TestFunctions.Hang);
        await using var _ = fe;
        using var __ = dir;
        var client = fe.Client;
        await using var raw = await RawAllocation013.CreateAsync(client, dir, AllocationInputs.Json(dir, "draining", "{}"));
        using var reads = raw.OpenReads();
        Assert.Equal(0UL, (await reads.NextAsync()).AfterClock);

        fe.Terminate();

        // Nobody has fetched the terminal batch yet, so the FE keeps serving (up to 1 s) but admits nothing new.
        RpcException refused;
        while (true)
        {
            try
            {
                var answer = await client.initializeAsync(FunctionExecutorProcess.InitializeRequest(TestFunctions.Echo), deadline: FunctionExecutorProcess.Deadline);
                Assert.Equal("Function Executor is already initialized", answer.ErrorMessage);
            }
            catch (RpcException ex)
            {
                refused = ex;
                break;
            }
        }

        Assert.Equal((StatusCode.Unavailable, "Function Executor is shutting down"), (refused.StatusCode, refused.Status.Detail));
        var create = await Assert.ThrowsAsync<RpcException>(() => client.create_allocationAsync(
            new CreateAllocationRequest { Allocation = AllocationInputs.Json(dir, "too-late", "{}") }, deadline: FunctionExecutorProcess.Deadline).ResponseAsync);
        Assert.Equal((StatusCode.Unavailable, "Function Executor is shutting down"), (create.StatusCode, create.Status.Detail));
        Assert.Equal(AllocationFailureReason.FunctionError, Assert.Single(await raw.GetAsync()).FinishAllocation.FailureReason);
        Assert.Equal(0, await fe.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }
}

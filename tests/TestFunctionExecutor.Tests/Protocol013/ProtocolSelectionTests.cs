using Executor.Protocol.FunctionExecutorV1;
using Grpc.Core;
using TestFunctionExecutor.Tests.Infrastructure;

namespace TestFunctionExecutor.Tests.Protocol013;

/// <summary>TEST_FE_PROTOCOL and the fe013/fe012 id markers choose what get_info reports and which protocol the FE speaks.</summary>
public sealed class ProtocolSelectionTests
{
    [Theory]
    [InlineData(null, "fe-plain", TestFunctions.Protocol012)]
    [InlineData(TestFunctions.Protocol012, "fe-plain", TestFunctions.Protocol012)]
    [InlineData(TestFunctions.Protocol013, "fe-plain", TestFunctions.Protocol013)]
    [InlineData(TestFunctions.Protocol012, "fe-1-fe013", TestFunctions.Protocol013)]
    [InlineData(TestFunctions.Protocol013, "fe-1-fe012", TestFunctions.Protocol012)]
    [InlineData(null, "fe-1-fe013", TestFunctions.Protocol013)]
    public async Task Get_info_reports_the_version_chosen_by_the_id_marker_else_the_environment(string? environment, string functionExecutorId, string expected)
    {
        var variables = environment is null ? null : TestFunctions.ProtocolEnvironment(environment);
        await using var fe = await FunctionExecutorProcess.StartAsync(variables, port =>
            ["--executor-id=exec-1", $"--function-executor-id={functionExecutorId}", "--address", $"localhost:{port}"]);

        var info = await fe.Client.get_infoAsync(new InfoRequest(), deadline: FunctionExecutorProcess.Deadline);

        Assert.Equal(expected, info.Version);
        Assert.Contains($"protocol {expected}", fe.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_id_helper_puts_the_marker_the_FE_looks_for()
    {
        Assert.Contains(TestFunctions.Protocol013Marker, TestFunctions.WithProtocolMarker("fe-7", TestFunctions.Protocol013), StringComparison.Ordinal);
        Assert.Contains(TestFunctions.Protocol012Marker, TestFunctions.WithProtocolMarker("fe-7", TestFunctions.Protocol012), StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => TestFunctions.WithProtocolMarker("fe-7", "0.2.0"));
    }

    [Fact]
    public async Task An_unknown_version_is_reported_verbatim_while_the_FE_speaks_0_1_2()
    {
        var (fe, dir) = await SingleUse.StartAsync(TestFunctions.Echo, TestFunctions.ProtocolEnvironment("9.9.9"));
        await using var _ = fe;
        using var __ = dir;

        var info = await fe.Client.get_infoAsync(new InfoRequest(), deadline: FunctionExecutorProcess.Deadline);
        Assert.Equal("9.9.9", info.Version);

        // 0.1.2: the result arrives in the state stream, and the 0.1.3 RPCs do not exist.
        var run = await new ExecutorPeer(fe.Client, dir).RunAsync(AllocationInputs.Json(dir, "unknown-version", "\"v\""));
        Assert.Equal("\"v\"", run.ReadValueText());
        var error = await Assert.ThrowsAsync<RpcException>(() => fe.Client.get_allocation_execution_log_batchAsync(
            new GetAllocationExecutionLogBatchRequest { AllocationId = run.AllocationId }, deadline: FunctionExecutorProcess.Deadline).ResponseAsync);
        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
    }

    [Fact]
    public async Task A_0_1_2_FE_answers_the_0_1_3_rpcs_unimplemented()
    {
        var (fe, dir) = await SingleUse.StartAsync(TestFunctions.Hang);
        await using var _ = fe;
        using var __ = dir;
        var client = fe.Client;
        await client.create_allocationAsync(new CreateAllocationRequest { Allocation = AllocationInputs.Json(dir, "old", "{}") }, deadline: FunctionExecutorProcess.Deadline);

        async Task<StatusCode> CodeOf(Func<Task> call) => (await Assert.ThrowsAsync<RpcException>(call)).StatusCode;

        Assert.Equal(StatusCode.Unimplemented, await CodeOf(() => client.advance_allocation_execution_log_batchAsync(new AdvanceAllocationExecutionLogBatchRequest { AllocationId = "old" }, deadline: FunctionExecutorProcess.Deadline).ResponseAsync));
        Assert.Equal(StatusCode.Unimplemented, await CodeOf(() => client.send_allocation_event_log_read_responseAsync(new ReadAllocationEventLogResponse { AllocationId = "old" }, deadline: FunctionExecutorProcess.Deadline).ResponseAsync));
        using var reads = new ReadsStream(client, "old");
        Assert.Equal(StatusCode.Unimplemented, await CodeOf(() => reads.NextAsync()));
    }
}

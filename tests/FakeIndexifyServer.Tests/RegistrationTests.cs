using Executor.Protocol.ServerV1;
using FakeIndexifyServer.Tests.Infrastructure;
using Grpc.Core;
using Xunit;

namespace FakeIndexifyServer.Tests;

public sealed class RegistrationTests
{
    [Fact]
    public async Task Stream_is_not_found_until_the_first_valid_report_registers_the_executor()
    {
        await using var harness = await Harness.StartAsync();

        await using var early = harness.OpenStream("exec-1");
        Assert.Equal(StatusCode.NotFound, (await early.EndedAsync()).StatusCode);

        await harness.ReportAsync(Reports.Valid("exec-1"));

        var view = await harness.Server.WaitForRegisteredExecutorAsync("exec-1");
        Assert.Equal("hash-1", view.StateHash);
        Assert.Equal(1, view.RegistrationCount);
        await using var stream = harness.OpenStream("exec-1");
        var first = await stream.NextAsync();
        Assert.Empty(first.FunctionExecutors);
        Assert.True(first.HasClock);
        Assert.Equal(1, harness.Server.StreamOpenCount);
    }

    [Fact]
    public async Task Stream_without_executor_id_is_invalid_argument()
    {
        await using var harness = await Harness.StartAsync();
        await using var stream = harness.OpenStream(executorId: null);
        Assert.Equal(StatusCode.InvalidArgument, (await stream.EndedAsync()).StatusCode);
        Assert.Contains(harness.Server.StreamEvents, e => e.Kind == StreamEventKind.Rejected && e.Status == StatusCode.InvalidArgument);
    }

    public static TheoryData<string, string> InvalidReports => new()
    {
        { "no-state", "executor_state is required" },
        { "no-id", "executor_id is required" },
        { "no-update", "executor_update is required" },
        { "bad-watch", "Invalid function call watch: Missing request_id in FunctionCallWatch" },
        { "no-hostname", "hostname is required" },
        { "no-version", "version is required" },
        { "no-hash", "state_hash is required" },
        { "no-resources", "total_function_executor_resources is required" },
        { "no-cpu", "cpu_count is required" },
        { "gpu-count-0", "proto gpu_resources.count is 0" },
        { "gpu-model-unknown", "proto gpu_resources.model is unknown" },
        { "fe-no-id", "id is required" },
        { "fe-no-version", "application_version is required" },
        { "fe-no-resources", "resources is required" },
    };

    [Theory]
    [MemberData(nameof(InvalidReports))]
    public async Task Invalid_reports_are_rejected_with_invalid_argument_and_do_not_register(string defect, string expectedDetail)
    {
        await using var harness = await Harness.StartAsync();
        var report = Reports.Valid("exec-1");
        var fe = harness.Server.NewFunctionExecutor("ns", "app", "fn");
        switch (defect)
        {
            case "no-state": report.ExecutorState = null; break;
            case "no-id": report.ExecutorState.ClearExecutorId(); break;
            case "no-update": report.ExecutorUpdate = null; break;
            case "bad-watch":
                var watch = Reports.Watch("ns", "app", "r", "c");
                watch.ClearRequestId();
                report.ExecutorState.FunctionCallWatches.Add(watch);
                report.ExecutorState.ClearHostname(); // a later step's defect must not win
                break;
            case "no-hostname": report.ExecutorState.ClearHostname(); break;
            case "no-version": report.ExecutorState.ClearVersion(); break;
            case "no-hash": report.ExecutorState.ClearStateHash(); break;
            case "no-resources": report.ExecutorState.TotalFunctionExecutorResources = null; break;
            case "no-cpu": report.ExecutorState.TotalFunctionExecutorResources.ClearCpuCount(); break;
            case "gpu-count-0": report.ExecutorState.TotalFunctionExecutorResources.Gpu = new GPUResources { Count = 0, Model = GPUModel.NvidiaA10 }; break;
            case "gpu-model-unknown": report.ExecutorState.TotalFunctionExecutorResources.Gpu = new GPUResources { Count = 1 }; break;
            case "fe-no-id": fe.ClearId(); report.ExecutorState.FunctionExecutorStates.Add(Reports.Running(fe)); break;
            case "fe-no-version": fe.Function.ClearApplicationVersion(); report.ExecutorState.FunctionExecutorStates.Add(Reports.Running(fe)); break;
            case "fe-no-resources": fe.Resources = null; report.ExecutorState.FunctionExecutorStates.Add(Reports.Running(fe)); break;
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => harness.ReportAsync(report));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(expectedDetail, error.Status.Detail);
        Assert.False(harness.Server.GetExecutor("exec-1")?.IsRegistered ?? false);
        Assert.Equal(StatusCode.InvalidArgument, Assert.Single(harness.Server.Reports).ReplyStatus);
        await using var stream = harness.OpenStream("exec-1");
        Assert.Equal(StatusCode.NotFound, (await stream.EndedAsync()).StatusCode);
    }

    [Fact]
    public async Task Only_a_changed_hash_or_clock_counts_as_a_state_change()
    {
        await using var harness = await Harness.StartAsync();

        await harness.ReportAsync(Reports.Valid("exec-1", stateHash: "a"));
        await harness.ReportAsync(Reports.Valid("exec-1", stateHash: "a"));
        await harness.ReportAsync(Reports.Valid("exec-1", stateHash: "b"));
        await harness.ReportAsync(Reports.Valid("exec-1", stateHash: "b", serverClock: 7));
        await harness.ReportAsync(Reports.Valid("exec-1", stateHash: "b", serverClock: 7));

        Assert.Equal([true, false, true, true, false], harness.Server.Reports.Select(r => r.WasStateChange));
        var view = harness.Server.GetExecutor("exec-1")!;
        Assert.Equal(3, view.StateChangeReportCount);
        Assert.Equal(5, view.ReportCount);
        Assert.Equal(("b", 7UL), (view.StateHash, view.ServerClock!.Value));
    }

    [Fact]
    public async Task Reported_state_is_visible_and_an_empty_executor_id_is_accepted()
    {
        await using var harness = await Harness.StartAsync();
        var report = Reports.Valid(string.Empty);
        report.ExecutorState.Labels.Add("zone", "a");

        await harness.ReportAsync(report);

        var view = await harness.Server.WaitForRegisteredExecutorAsync(string.Empty);
        Assert.Equal("a", view.State!.Labels["zone"]);
        Assert.Equal("test-host", view.State.Hostname);
    }
}

using Executor.Protocol.ServerV1;
using Executor.Testing;
using FakeIndexifyServer.Tests.Infrastructure;
using Grpc.Core;
using Xunit;

namespace FakeIndexifyServer.Tests;

public sealed class FaultInjectionTests
{
    [Theory]
    [InlineData(StatusCode.Unavailable)]
    [InlineData(StatusCode.Internal)]
    [InlineData(StatusCode.DeadlineExceeded)]
    public async Task The_next_reports_can_fail_with_a_chosen_code(StatusCode code)
    {
        await using var harness = await Harness.StartAsync();
        harness.Server.FailNextReports(2, code);

        for (var attempt = 0; attempt < 2; attempt++)
        {
            Assert.Equal(code, (await Assert.ThrowsAsync<RpcException>(() => harness.ReportAsync(Reports.Valid("exec-1")))).StatusCode);
        }

        Assert.Null(harness.Server.GetExecutor("exec-1")); // failed reports are not processed
        await harness.ReportAsync(Reports.Valid("exec-1"));
        Assert.True(harness.Server.GetExecutor("exec-1")!.IsRegistered);
        Assert.Equal(0, harness.Server.PendingReportFaults);
    }

    [Fact]
    public async Task A_delayed_report_can_outlive_the_client_deadline()
    {
        await using var harness = await Harness.StartAsync();
        harness.Server.DelayNextReports(1, TimeSpan.FromSeconds(5));

        var error = await Assert.ThrowsAsync<RpcException>(() => harness.ReportAsync(Reports.Valid("exec-1"), deadline: TimeSpan.FromMilliseconds(300)));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        await harness.Server.WaitForReportAsync(r => r.ReplyStatus == StatusCode.Cancelled);
        Assert.Null(harness.Server.GetExecutor("exec-1"));
        await harness.ReportAsync(Reports.Valid("exec-1"));
        Assert.True(harness.Server.GetExecutor("exec-1")!.IsRegistered);
    }

    [Fact]
    public async Task A_dropped_connection_gives_the_client_unavailable()
    {
        await using var harness = await Harness.StartAsync();
        harness.Server.DropConnectionOnNextReports(1);

        var error = await Assert.ThrowsAsync<RpcException>(() => harness.ReportAsync(Reports.Valid("exec-1")));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        await harness.ReportAsync(Reports.Valid("exec-1"));
        Assert.True(harness.Server.GetExecutor("exec-1")!.IsRegistered);
    }

    [Fact]
    public async Task Streams_can_be_ended_with_a_status_or_aborted()
    {
        await using var harness = await Harness.StartAsync();
        var (first, _) = await harness.RegisterAndStreamAsync("exec-1");
        await using var one = first;

        harness.Server.EndStreams("exec-1", StatusCode.Internal, "mid-way");
        var ended = await one.EndedAsync();
        Assert.Equal((StatusCode.Internal, "mid-way"), (ended.StatusCode, ended.Detail));

        await using var two = harness.OpenStream("exec-1");
        await two.NextAsync();
        harness.Server.AbortStreams("exec-1");
        Assert.Equal(StatusCode.Unavailable, (await two.EndedAsync()).StatusCode);

        await using var three = harness.OpenStream("exec-1");
        await three.NextAsync();
        harness.Server.EndStreams("exec-1");
        Assert.Equal(StatusCode.OK, (await three.EndedAsync()).StatusCode);
        await harness.Server.WaitUntilAsync(s => s.OpenStreamCount == 0);
        Assert.Equal(3, harness.Server.StreamEvents.Count(e => e.Kind == StreamEventKind.Closed));
    }

    [Fact]
    public async Task A_stopped_listener_refuses_connections_and_resumes_on_the_same_port_with_its_state()
    {
        await using var harness = await Harness.StartAsync(new FakeServerOptions { Port = FreePort.Get() });
        var address = harness.Server.Address;
        var (stream, _) = await harness.RegisterAndStreamAsync("exec-1");
        await using var _s = stream;

        await harness.Server.StopListeningAsync();

        Assert.False(harness.Server.IsListening);
        Assert.Equal(StatusCode.Unavailable, (await stream.EndedAsync()).StatusCode);
        var refused = await Assert.ThrowsAsync<RpcException>(() => harness.ReportAsync(Reports.Valid("exec-1"), deadline: TimeSpan.FromSeconds(10)));
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);

        await harness.Server.StartListeningAsync();

        Assert.Equal(address, harness.Server.Address);
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                await harness.ReportAsync(Reports.Valid("exec-1"), deadline: TimeSpan.FromSeconds(5));
                return true;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable)
            {
                return false; // the client channel may still be backing off from the refused connection
            }
        }, TimeSpan.FromSeconds(30), "report accepted after the listener came back");
        Assert.Equal(1, harness.Server.GetExecutor("exec-1")!.RegistrationCount);
        await using var reopened = harness.OpenStream("exec-1");
        await reopened.NextAsync();
    }

    [Fact]
    public async Task A_simulated_restart_forgets_executors_but_keeps_allocations_and_the_clock()
    {
        await using var harness = await Harness.StartAsync();
        var (stream, _) = await harness.RegisterAndStreamAsync("exec-1");
        await using var _s = stream;
        var fe = harness.Server.AddFunctionExecutor("exec-1", harness.Server.NewFunctionExecutor("ns", "app", "fn", maxConcurrency: 2));
        var survivor = harness.Server.AddAllocation(harness.Server.NewAllocation(fe));
        var orphanFe = harness.Server.AddFunctionExecutor("exec-1", harness.Server.NewFunctionExecutor("ns", "app", "other"));
        var orphan = harness.Server.AddAllocation(harness.Server.NewAllocation(orphanFe));
        var clockBefore = harness.Server.Clock;

        await harness.Server.SimulateRestartAsync();

        Assert.Equal(StatusCode.Unavailable, (await stream.EndedAsync()).StatusCode);
        await using var notFound = harness.OpenStream("exec-1");
        Assert.Equal(StatusCode.NotFound, (await notFound.EndedAsync()).StatusCode);
        Assert.Equal(clockBefore, harness.Server.Clock);

        // The executor reports its live FE again: it is adopted with its allocation; the other FE's allocation is orphaned.
        await harness.ReportAsync(Reports.Valid("exec-1", functionExecutors: [Reports.Running(fe)]));
        await using var reopened = harness.OpenStream("exec-1");
        var snapshot = await reopened.NextAsync();
        Assert.Equal(fe.Id, Assert.Single(snapshot.FunctionExecutors).Id);
        Assert.Equal(survivor.AllocationId, Assert.Single(snapshot.Allocations).AllocationId);
        Assert.True(snapshot.Clock > clockBefore);
        Assert.Equal(AllocationFailureReason.FunctionExecutorTerminated, (await harness.Server.WaitForServerFailureAsync(orphan.AllocationId)).Reason);
        Assert.Equal(1, harness.Server.RestartCount);
    }

    [Fact]
    public async Task After_a_restart_executors_that_do_not_return_are_reaped()
    {
        await using var harness = await Harness.StartAsync(new FakeServerOptions { StartupExecutorTimeout = TimeSpan.FromMilliseconds(500) });
        await harness.ReportAsync(Reports.Valid("exec-1"));
        var fe = harness.Server.AddFunctionExecutor("exec-1", harness.Server.NewFunctionExecutor("ns", "app", "fn"));
        var allocation = harness.Server.AddAllocation(harness.Server.NewAllocation(fe));

        await harness.Server.SimulateRestartAsync(dropConnections: true);

        Assert.Equal(AllocationFailureReason.ExecutorRemoved, (await harness.Server.WaitForServerFailureAsync(allocation.AllocationId)).Reason);
        Assert.Equal(DeregistrationCause.StartupReaper, (await harness.Server.WaitForDeregistrationAsync("exec-1")).Cause);
        Assert.True(harness.Server.IsListening);
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                await harness.ReportAsync(Reports.Valid("exec-1"), deadline: TimeSpan.FromSeconds(5));
                return true;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30), "report accepted after the bounce");
    }
}

using FakeIndexifyServer.Tests.Infrastructure;
using Grpc.Core;
using Xunit;

namespace FakeIndexifyServer.Tests;

/// <summary>Each mode serves only its protocol's RPCs, as the real v1 and v2 servers do, so protocol probing can be tested.</summary>
public sealed class ProtocolSurfaceTests
{
    [Fact]
    public async Task A_v1_server_answers_the_v2_rpcs_unimplemented()
    {
        await using var harness = await Harness.StartAsync();

        var heartbeat = await Assert.ThrowsAsync<RpcException>(() => harness.HeartbeatAsync(V2Messages.Heartbeat("exec-1")));
        var commands = await Assert.ThrowsAsync<RpcException>(() => harness.PollCommandsAsync("exec-1"));
        var results = await Assert.ThrowsAsync<RpcException>(() => harness.PollResultsAsync("exec-1"));

        Assert.All([heartbeat, commands, results], error => Assert.Equal(StatusCode.Unimplemented, error.StatusCode));
        Assert.Empty(harness.Server.Heartbeats);
        await harness.ReportAsync(Reports.Valid("exec-1")); // and still speaks v1
    }

    [Fact]
    public async Task A_v2_server_answers_the_v1_rpcs_unimplemented()
    {
        await using var harness = await Harness.StartV2Async();

        var report = await Assert.ThrowsAsync<RpcException>(() => harness.ReportAsync(Reports.Valid("exec-1")));
        var call = await Assert.ThrowsAsync<RpcException>(() => harness.CallFunctionAsync(Reports.CallFunction("ns", "app", "req", "p", "c")));
        await using var stream = harness.OpenStream("exec-1");

        Assert.Equal(StatusCode.Unimplemented, report.StatusCode);
        Assert.Equal(StatusCode.Unimplemented, call.StatusCode);
        Assert.Equal(StatusCode.Unimplemented, (await stream.EndedAsync()).StatusCode);
        Assert.Equal(ServerProtocol.V2, harness.Server.Protocol);
        Assert.True((await harness.HeartbeatAsync(V2Messages.Heartbeat("exec-1"))).SendState); // and speaks v2
    }

    [Fact]
    public async Task A_v2_heartbeat_over_32_MiB_is_refused()
    {
        await using var harness = await Harness.StartV2Async();
        var huge = V2Messages.FullState("exec-1");
        huge.FullState.Labels["padding"] = new string('x', 33 * 1024 * 1024);

        var error = await Assert.ThrowsAsync<RpcException>(() => harness.HeartbeatAsync(huge));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Null(harness.Server.GetExecutor("exec-1"));
    }
}

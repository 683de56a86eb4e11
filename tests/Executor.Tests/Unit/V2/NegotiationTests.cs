using Executor.Server;
using Executor.Testing;
using Executor.Tests.Unit.V2.Infrastructure;
using Xunit;
using static Executor.Tests.Unit.V2.Infrastructure.V2Messages;

namespace Executor.Tests.Unit.V2;

/// <summary>Protocol negotiation: auto picks what the Server speaks, switches when it changes, probes again after an outage.</summary>
public sealed class NegotiationTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task AutoFallsBackToV1WhenTheHeartbeatIsUnimplemented()
    {
        await using var harness = await AdapterHarness.StartAsync(v1: true, v2: false);
        Assert.Equal(ServerProtocol.Unknown, harness.Negotiating.Protocol);

        await harness.Negotiating.ReportAsync(Report(), AdapterHarness.Timeout());

        Assert.Equal(ServerProtocol.V1, harness.Protocol.Current);
        Assert.Single(harness.Server.V1.Reports);
        Assert.StartsWith("# server_protocol: v1\n", harness.Negotiating.DescribeLastReport(json: false), StringComparison.Ordinal);
        using var json = System.Text.Json.JsonDocument.Parse(harness.Negotiating.DescribeLastReport(json: true)!);
        Assert.Equal("v1", json.RootElement.GetProperty("serverProtocol").GetString());
        Assert.Equal("exec-1", json.RootElement.GetProperty("executorState").GetProperty("executorId").GetString());
    }

    [Fact]
    public async Task AutoPicksV2WhenTheServerAnswersTheHeartbeat()
    {
        await using var harness = await AdapterHarness.StartAsync(v1: false, v2: true);
        await harness.Negotiating.ReportAsync(Report(), AdapterHarness.Timeout());

        Assert.Equal(ServerProtocol.V2, harness.Protocol.Current);
        Assert.Empty(harness.Server.V1.Reports);
        Assert.StartsWith("# server_protocol: v2\n", harness.Negotiating.DescribeLastReport(json: false), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AV1ReportAnsweredUnimplementedSwitchesToV2AndEndsTheV1Read()
    {
        await using var harness = await AdapterHarness.StartAsync(v1: true, v2: false);
        await harness.Negotiating.ReportAsync(Report(), AdapterHarness.Timeout());
        var v1Read = SnapshotReader.Start(harness.Negotiating);
        await Eventually.TrueAsync(() => v1Read.Count > 0, Patience, "v1 snapshot");

        // The Server behind the address now speaks v2 only (the v1 stream is still open).
        harness.Server.V1.Enabled = false;
        harness.Server.V2.Enabled = true;
        await harness.Negotiating.ReportAsync(Report(), AdapterHarness.Timeout());

        Assert.Equal(ServerProtocol.V2, harness.Protocol.Current);
        Assert.NotNull(harness.Server.V2.Heartbeats[^1].FullState);
        await Eventually.TrueAsync(() => v1Read.Ended, Patience, "the v1 read ends with the switch");
        Assert.Null(v1Read.Error);
        await v1Read.DisposeAsync();

        await using var v2Read = SnapshotReader.Start(harness.Negotiating);
        await Eventually.TrueAsync(() => harness.Server.V2.CommandPolls.Count > 0, Patience, "the reopened read polls v2");
    }

    [Fact]
    public async Task AfterAnOutageAutoProbesAgainAndFollowsAnUpgradedServer()
    {
        await using var harness = await AdapterHarness.StartAsync(v1: true, v2: false);
        await harness.Negotiating.ReportAsync(Report(), AdapterHarness.Timeout());
        Assert.Equal(ServerProtocol.V1, harness.Protocol.Current);

        await harness.Server.StopAsync();
        await Assert.ThrowsAsync<ServerUnreachableException>(() => harness.Negotiating.ReportAsync(Report(), AdapterHarness.Timeout()));
        harness.Negotiating.RecycleChannel();

        harness.Server.V1.Enabled = false;
        harness.Server.V2.Enabled = true;
        await harness.Server.StartAgainAsync();
        await harness.Negotiating.ReportAsync(Report(), AdapterHarness.Timeout());

        Assert.Equal(ServerProtocol.V2, harness.Protocol.Current);
        Assert.Single(harness.Server.V1.Reports);
    }

    [Fact]
    public async Task AfterAnOutageTheSameV1ServerIsKeptAfterOneProbe()
    {
        await using var harness = await AdapterHarness.StartAsync(v1: true, v2: false);
        await harness.Negotiating.ReportAsync(Report(), AdapterHarness.Timeout());
        await harness.Negotiating.ReportAsync(Report(), AdapterHarness.Timeout());
        Assert.Equal(2, harness.Server.V1.Reports.Count);

        await harness.Server.StopAsync();
        await Assert.ThrowsAsync<ServerUnreachableException>(() => harness.Negotiating.ReportAsync(Report(), AdapterHarness.Timeout()));
        harness.Negotiating.RecycleChannel();
        await harness.Server.StartAgainAsync();
        await harness.Negotiating.ReportAsync(Report(), AdapterHarness.Timeout());

        Assert.Equal(ServerProtocol.V1, harness.Protocol.Current);
        Assert.Equal(3, harness.Server.V1.Reports.Count);
    }

    [Theory]
    [InlineData("v1")]
    [InlineData("v2")]
    public async Task AFixedProtocolIsNeverProbed(string protocol)
    {
        await using var harness = await AdapterHarness.StartAsync(v1: true, v2: true, configure: o => o.ServerProtocol = protocol);
        Assert.Equal(protocol == "v1" ? ServerProtocol.V1 : ServerProtocol.V2, harness.Protocol.Current);

        await harness.Negotiating.ReportAsync(Report(), AdapterHarness.Timeout());

        Assert.Equal(protocol == "v1" ? 1 : 0, harness.Server.V1.Reports.Count);
        Assert.Equal(protocol == "v1" ? 0 : 2, harness.Server.V2.Heartbeats.Count);
    }
}

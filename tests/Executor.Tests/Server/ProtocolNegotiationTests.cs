using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Executor.Protocol.ServerV1;
using Executor.TestHost;
using Executor.Testing;
using FakeIndexifyServer;
using TestFunctionExecutor;
using Xunit;
using FakeProtocol = FakeIndexifyServer.ServerProtocol;

namespace Executor.Tests.Server;

/// <summary>
/// Issue 13: with <c>--server-protocol auto</c> (the default) the executor speaks whichever protocol the Server it finds
/// speaks; a fixed protocol the Server does not speak fails visibly (health 503, never registered, said once in the
/// log) and the executor keeps running and trying.
/// </summary>
public sealed class ProtocolNegotiationTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(FakeProtocol.V1, "v1")]
    [InlineData(FakeProtocol.V2, "v2")]
    public async Task AutoSpeaksTheProtocolOfTheServerItFinds(FakeProtocol served, string label)
    {
        await using var scenario = await ExecutorScenario.StartAsync(protocols: new ProtocolCombination(served, TestFunctions.Protocol012));
        var server = scenario.Server;
        var executor = scenario.Executor;

        // Work flows on the negotiated protocol.
        var fe = scenario.AddFunctionExecutor(TestFunctions.Echo);
        var allocation = scenario.AddAllocation(fe);
        Assert.Equal(AllocationOutcomeCode.Success, (await server.WaitForResultAsync(allocation.AllocationId, Patience)).OutcomeCode);

        // The executor says which protocol it speaks: /state/reported (text and JSON), the server_protocol gauge, its log.
        Assert.StartsWith($"# server_protocol: {label}\n", (await executor.GetAsync("/state/reported")).Body, StringComparison.Ordinal);
        var json = JsonNode.Parse((await executor.GetAsync("/state/reported", "application/json")).Body)!.AsObject();
        Assert.Equal(label, json["serverProtocol"]?.GetValue<string>());
        var metrics = (await executor.GetAsync("/monitoring/metrics")).Body;
        Assert.Matches($"server_protocol\\{{[^}}]*protocol=\"{label}\"[^}}]*\\}} 1", metrics);
        Assert.Contains($"Server protocol {label} selected", executor.Output, StringComparison.Ordinal);
        Assert.Equal(200, (await executor.GetAsync("/monitoring/health")).Status);

        // And the fake saw only that protocol's RPCs (it answers the other's UNIMPLEMENTED without processing them).
        if (served == FakeProtocol.V1)
        {
            Assert.Empty(server.Heartbeats);
            Assert.Empty(server.Polls);
            Assert.True(server.StreamOpenCount >= 1, "the desired-state stream was opened");
            Assert.Contains(server.Reports, r => r.Succeeded && r.WasStateChange && r.StateHash is { Length: 64 });
        }
        else
        {
            Assert.Equal(0, server.StreamOpenCount);
            Assert.NotNull(server.Heartbeats.First(h => h.Succeeded).Request.FullState);
            Assert.True(server.CommandPollCount >= 1, "commands were polled");
            Assert.All(server.Reports, r => Assert.Null(r.StateHash));
        }
    }

    [Theory]
    [InlineData("v1", FakeProtocol.V2)]
    [InlineData("v2", FakeProtocol.V1)]
    public async Task AFixedProtocolTheServerDoesNotSpeakFailsVisiblyWithoutCrashing(string configured, FakeProtocol served)
    {
        using var temp = new TempDirectory("executor-negotiation");
        await using var server = await FakeServer.StartAsync(new FakeServerOptions { Protocol = served, BlobStoreDirectory = temp.Combine("blobs") });
        var executor = await ExecutorProcess.StartAsync(server.Address, temp.Combine("cache"), ["--server-protocol", configured], new Dictionary<string, string> { ["EXECUTOR__ReportInterval"] = "00:00:01" });
        try
        {
            // It keeps trying on the configured protocol: reports failed again (none reached the fake's books).
            await Eventually.TrueAsync(async () => Counter((await executor.GetAsync("/monitoring/metrics")).Body, "state_report_rpc_errors") >= 2, Patience, "two failed reports");
            Assert.Equal(503, (await executor.GetAsync("/monitoring/health")).Status);
            Assert.StartsWith($"# server_protocol: {configured}\n", (await executor.GetAsync("/state/reported")).Body, StringComparison.Ordinal);

            // Said once, with what to change.
            var mismatch = $"the Server does not speak the configured protocol {configured}";
            Assert.Single(executor.Output.Split('\n'), l => l.Contains(mismatch, StringComparison.Ordinal));
            Assert.Contains("use --server-protocol auto or the other protocol", executor.Output, StringComparison.Ordinal);

            // Never registered; still up and ready to work for a Server that speaks its protocol.
            Assert.DoesNotContain(server.Executors, e => e.IsRegistered);
            Assert.Empty(server.Reports);
            Assert.Empty(server.Heartbeats);
            Assert.False(executor.HasExited);
            Assert.Equal(200, (await executor.GetAsync("/monitoring/startup")).Status);

            // And it stops cleanly.
            Assert.Equal(0, await executor.StopAsync());
        }
        finally
        {
            await executor.DisposeAsync();
        }
    }

    /// <summary>A counter's value in Prometheus text (the OpenTelemetry exporter adds _total); 0 before its first increment.</summary>
    private static long Counter(string exposition, string name)
    {
        var match = Regex.Match(exposition, $"^{name}_total(\\{{[^}}]*\\}})? (?<value>\\d+)", RegexOptions.Multiline);
        return match.Success ? long.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture) : 0;
    }
}

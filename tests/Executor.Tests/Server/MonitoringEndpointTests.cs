using System.Diagnostics;
using System.Text.Json;
using Executor.TestHost;
using Executor.Testing;
using Xunit;

namespace Executor.Tests.Server;

/// <summary>The five monitoring endpoints answer as upstream's do (status codes, content types, bodies).</summary>
public sealed class MonitoringEndpointTests
{
    [Fact]
    public async Task EndpointsAnswerWithUpstreamShapes()
    {
        await using var scenario = await ExecutorScenario.StartAsync();
        var executor = scenario.Executor;

        var startup = await executor.GetAsync("/monitoring/startup");
        Assert.Equal(200, startup.Status);
        Assert.Equal("application/json; charset=utf-8", startup.ContentType);
        Assert.Equal("{\"status\": \"ok\"}", startup.Body);

        // Healthy once the executor has read the Server's first answer (the fake books the registration before that).
        await Eventually.TrueAsync(async () => (await executor.GetAsync("/monitoring/health")).Status == 200, TimeSpan.FromSeconds(30), "health after the first answer");
        var health = await executor.GetAsync("/monitoring/health");
        Assert.Equal(200, health.Status);
        Assert.Equal("{\"status\": \"ok\", \"message\": \"Successful\", \"checker\": \"GenericHealthChecker\"}", health.Body);

        var reported = await executor.GetAsync("/state/reported");
        Assert.Equal(200, reported.Status);
        Assert.StartsWith("text/plain", reported.ContentType, StringComparison.Ordinal);
        Assert.Contains("executor_state {", reported.Body, StringComparison.Ordinal);
        Assert.Contains($"executor_id: \"{scenario.ExecutorId}\"", reported.Body, StringComparison.Ordinal);
        Assert.Contains("status: EXECUTOR_STATUS_RUNNING", reported.Body, StringComparison.Ordinal);

        var reportedJson = await executor.GetAsync("/state/reported", "application/json");
        using (var doc = JsonDocument.Parse(reportedJson.Body))
        {
            Assert.Equal(scenario.ExecutorId, doc.RootElement.GetProperty("executorState").GetProperty("executorId").GetString());
        }

        await Eventually.TrueAsync(async () => !(await executor.GetAsync("/state/desired")).Body.StartsWith("No desired state", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "first desired state received");
        var desired = await executor.GetAsync("/state/desired");
        Assert.Equal(200, desired.Status);
        Assert.Contains("clock:", desired.Body, StringComparison.Ordinal);

        var metrics = await executor.GetAsync("/monitoring/metrics");
        Assert.Equal(200, metrics.Status);
        Assert.Contains("state_report_rpcs_total", metrics.Body, StringComparison.Ordinal);
        Assert.Contains("state_report_rpc_latency_seconds_bucket", metrics.Body, StringComparison.Ordinal);

        using var http = new HttpClient();
        using var post = await http.PostAsync(executor.MonitoringUri("/monitoring/startup"), new StringContent(string.Empty));
        Assert.Equal(405, (int)post.StatusCode);
        using var missing = await http.GetAsync(executor.MonitoringUri("/nope"));
        Assert.Equal(404, (int)missing.StatusCode);
    }

    [Fact]
    public async Task StateEndpointsSayWhenNothingHappenedYetAndStartupIsNotReadyBeforeStart()
    {
        // No Server at all: reports fail, nothing desired arrives, health goes 503.
        using var temp = new TempDirectory();
        await using var executor = await ExecutorProcess.StartAsync($"127.0.0.1:{FreePort.Get()}", temp.Combine("cache"));
        var desired = await executor.GetAsync("/state/desired");
        Assert.Equal("No desired state received from Server yet", desired.Body);
        await Eventually.TrueAsync(async () => (await executor.GetAsync("/monitoring/health")).Body.Contains("channel", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "health 503 after a failed report");
        var health = await executor.GetAsync("/monitoring/health");
        Assert.Equal("{\"status\": \"nok\", \"message\": \"grpc server channel is unhealthy\", \"checker\": \"GenericHealthChecker\"}", health.Body);
    }

    [Fact]
    public async Task WithAutoHealthIsUnhealthyUntilTheServerFirstAnswers()
    {
        // A listener that accepts connections and never answers: the first report hangs, so no protocol is chosen.
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        var accepted = new List<System.Net.Sockets.Socket>();
        var accepting = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    accepted.Add(await silent.AcceptSocketAsync());
                }
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or ObjectDisposedException)
            {
                // The listener was stopped at the end of the test.
            }
        });
        using var temp = new TempDirectory();
        await using (var executor = await ExecutorProcess.StartAsync(
                         $"127.0.0.1:{((System.Net.IPEndPoint)silent.LocalEndpoint).Port}",
                         temp.Combine("cache"),
                         environment: new Dictionary<string, string> { ["EXECUTOR__ReportRpcTimeout"] = "00:02:00" }))
        {
            var health = await executor.GetAsync("/monitoring/health");
            Assert.Equal(503, health.Status);
            Assert.Equal("{\"status\": \"nok\", \"message\": \"no Server answer yet\", \"checker\": \"GenericHealthChecker\"}", health.Body);
        }

        silent.Stop();
        await accepting;
        accepted.ForEach(s => s.Dispose());
    }
}

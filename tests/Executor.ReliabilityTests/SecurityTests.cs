using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using Executor.Protocol.ServerV1;
using Executor.ReliabilityTests.Infrastructure;
using Executor.TestHost;
using Executor.Testing;
using FakeIndexifyServer;
using TestFunctionExecutor;

namespace Executor.ReliabilityTests;

/// <summary>
/// Monitoring stays on loopback, secrets never leak, blob confinement holds against hostile URIs. Executor-side
/// guards, independent of the protocols: v1 with FE 0.1.2.
/// </summary>
public sealed class SecurityTests
{
    private const string Secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCY-RELIABILITY-SECRET";

    [Fact]
    public async Task MonitoringListensOnLoopbackOnlyAndEnvironmentSecretsAppearNowhere()
    {
        await using var scenario = await ExecutorScenario.StartAsync(protocols: ProtocolCombination.V1Fe012, environment: new Dictionary<string, string>
        {
            ["AWS_SECRET_ACCESS_KEY"] = Secret,
            ["AWS_SESSION_TOKEN"] = Secret + "-token",
            ["EXECUTOR__ReportInterval"] = "00:00:01",
        });
        var server = scenario.Server;
        var executor = scenario.Executor;

        // The only listening socket on the monitoring port is 127.0.0.1 (0100007F in /proc/net/tcp), none on tcp6.
        var sockets = Host.ListeningSockets().Where(s => s.Port == executor.MonitoringPort).ToList();
        Assert.NotEmpty(sockets);
        Assert.All(sockets, s => Assert.Equal("0100007F", s.Address));
        foreach (var address in NonLoopbackAddresses())
        {
            using var client = new TcpClient(address.AddressFamily);
            var refused = await Assert.ThrowsAnyAsync<SocketException>(() => client.ConnectAsync(address, executor.MonitoringPort).WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.NotNull(refused);
        }

        // Work flows (FE started, code downloaded, results reported) so every endpoint has real content.
        var env = scenario.AddFunctionExecutor(TestFunctions.Env, application: "env");
        var allocation = scenario.AddAllocation(env);
        var result = await server.WaitForResultAsync(allocation.AllocationId, Host.Patience);
        Assert.Equal(AllocationOutcomeCode.Success, result.OutcomeCode);
        var feEnvironment = Encoding.UTF8.GetString(server.Blobs.Read(result.Value));
        Assert.Contains("PATH", feEnvironment, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, feEnvironment, StringComparison.Ordinal);

        foreach (var path in new[] { "/state/reported", "/state/desired", "/monitoring/metrics", "/monitoring/health", "/monitoring/startup" })
        {
            var text = (await executor.GetAsync(path)).Body;
            var json = (await executor.GetAsync(path, "application/json")).Body;
            Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);
            Assert.DoesNotContain(Secret, json, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(server.Reports, r => r.Request.ToString().Contains(Secret, StringComparison.Ordinal));
        await executor.StopAsync();
        Assert.DoesNotContain(Secret, executor.Output, StringComparison.Ordinal);
        foreach (var log in Directory.GetFiles(Path.Combine(executor.CachePath, "fe-logs")))
        {
            Assert.DoesNotContain(Secret, await File.ReadAllTextAsync(log), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ConfinedBlobRootRefusesHostileArgumentAndOutputUrisUnderFuzzingAndTheFunctionNeverSeesOutsideBytes()
    {
        using var temp = new TempDirectory("executor-reliability-confine");
        var blobs = Directory.CreateDirectory(temp.Combine("blobs")).FullName;
        var outside = Directory.CreateDirectory(temp.Combine("outside")).FullName;
        var marker = "OUTSIDE-" + Guid.NewGuid().ToString("N");
        var secretFile = Path.Combine(outside, "secret.json");
        await File.WriteAllTextAsync(secretFile, "\"" + marker + "\"");
        File.CreateSymbolicLink(Path.Combine(blobs, "link-to-secret.json"), secretFile);
        Directory.CreateSymbolicLink(Path.Combine(blobs, "link-to-outside"), outside);

        await using var server = await FakeServer.StartAsync(new FakeServerOptions { BlobStoreDirectory = blobs });
        var executor = await ExecutorProcess.StartAsync(server.Address, temp.Combine("cache"), ["--allowed-blob-root", blobs]);
        string? executorId = null;
        try
        {
            executorId = (await server.WaitForRegisteredExecutorAsync(timeout: Host.Patience)).ExecutorId;
            var code = server.Blobs.Put("ns/app/code/1.zip", "PK-test-code-1"u8.ToArray(), "application/zip");
            var fe = server.AddFunctionExecutor(executorId, server.NewFunctionExecutor("ns", "app", TestFunctions.Echo, maxConcurrency: 4, codePayload: code));
            await server.WaitForStatusAsync(fe.Id, FunctionExecutorStatus.Running);

            var root = new Uri(blobs + "/").AbsoluteUri.TrimEnd('/');
            var hostileArgUris = new[]
            {
                "file:///etc/passwd",
                new Uri(secretFile).AbsoluteUri,
                "file://" + blobs + "/../outside/secret.json",
                "file://" + blobs + "/ns/../../outside/secret.json",
                root + "/%2e%2e/outside/secret.json",
                root + "/link-to-secret.json",
                root + "/link-to-outside/secret.json",
                "file://localhost" + secretFile,
                "file:" + secretFile,
            };

            // Each hostile URI on its own, then the fuzzer: mutated allocations whose args are re-pointed outside.
            var template = server.NewAllocation(fe, [server.Blobs.PutRequestPayload("ns", "app", "req", "in", "\"inside\""u8.ToArray(), "application/json")], requestId: "req");
            var hostile = new List<Allocation>();
            foreach (var uri in hostileArgUris)
            {
                var allocation = template.Clone();
                allocation.AllocationId = "hostile-" + hostile.Count;
                allocation.Args[0].Uri = uri;
                hostile.Add(allocation);
            }

            var escapingOutput = template.Clone();
            escapingOutput.AllocationId = "hostile-output";
            escapingOutput.RequestDataPayloadUriPrefix = new Uri(Path.Combine(outside, "written")).AbsoluteUri;
            escapingOutput.RequestErrorPayloadUriPrefix = escapingOutput.RequestDataPayloadUriPrefix;
            hostile.Add(escapingOutput);

            var mutator = new ProtobufMutator(424242);
            for (var i = 0; i < 40; i++)
            {
                var mutated = mutator.Mutate(template, 1 + (i % 3));
                mutated.AllocationId = "fuzzed-" + i;
                mutated.FunctionExecutorId = fe.Id;
                mutated.RequestId = "req";
                mutated.Function = template.Function.Clone();
                if (mutated.Args.Count == 0)
                {
                    mutated.Args.Add(template.Args[0].Clone());
                }

                foreach (var arg in mutated.Args)
                {
                    arg.Uri = hostileArgUris[(i + mutated.Args.IndexOf(arg)) % hostileArgUris.Length];
                }

                hostile.Add(mutated);
            }

            foreach (var allocation in hostile)
            {
                server.AddAllocation(allocation, executorId);
            }

            var good = server.AddAllocation(server.NewAllocation(fe, [server.Blobs.PutRequestPayload("ns", "app", "good", "in", "\"inside\""u8.ToArray(), "application/json")], requestId: "good"), executorId);
            Assert.Equal("\"inside\"", Encoding.UTF8.GetString(server.Blobs.Read((await server.WaitForResultAsync(good.AllocationId, Host.Patience)).Value)));

            // Every one is refused by the executor before the FE sees it: INTERNAL_ERROR, including "%2e%2e", which we read
            // literally but an FE might percent-decode.
            var refused = 0;
            foreach (var allocation in hostile)
            {
                var result = await server.WaitForResultAsync(allocation.AllocationId, Host.Patience);
                Assert.True(
                    result.OutcomeCode == AllocationOutcomeCode.Failure && result.FailureReason == AllocationFailureReason.InternalError,
                    $"{allocation.AllocationId} ({string.Join(' ', allocation.Args.Select(a => a.Uri))}) was not refused by the executor: {result}");
                refused++;
            }

            Assert.Equal(hostile.Count, refused);

            // Nothing from outside ever reached the FE or came back, and nothing was written outside.
            var everything = string.Join('\n', server.Reports.Select(r => r.Request.ToString())) + executor.Output
                + string.Concat(Directory.GetFiles(temp.Combine("cache", "fe-logs")).Select(File.ReadAllText));
            Assert.DoesNotContain(marker, everything, StringComparison.Ordinal);
            Assert.DoesNotContain("root:x:0:0", everything, StringComparison.Ordinal);
            Assert.Equal([secretFile], Directory.GetFiles(outside, "*", SearchOption.AllDirectories));
            Assert.Equal(200, (await executor.GetAsync("/monitoring/startup")).Status);
            Console.WriteLine($"[reliability] blob confinement: {refused} hostile allocations refused by the executor ({hostileArgUris.Length} URI forms, 40 fuzzed, 1 escaping output prefix)");
        }
        finally
        {
            await executor.DisposeAsync();
            if (executorId is not null)
            {
                Host.KillFunctionExecutorsOf(executorId);
            }
        }
    }

    private static IEnumerable<IPAddress> NonLoopbackAddresses() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .Where(a => !IPAddress.IsLoopback(a) && a.AddressFamily == AddressFamily.InterNetwork)
            .Take(3);
}

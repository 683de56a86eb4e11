using System.Security.Cryptography;
using System.Text;
using Executor.TestHost;
using Executor.Testing;
using Executor.Tests.Unit.V2.Infrastructure;
using TestFunctionExecutor;
using Xunit;
using ProtoV2 = Executor.Protocol.ServerV2;

namespace Executor.Tests.Server;

/// <summary>
/// The real executor process (default --server-protocol auto) against a scripted v2-only Server: registration by
/// full_state, work through commands, outcomes and lifecycle answers in heartbeats, call_function and its result,
/// the dataplane's monitoring answers, STOPPED on shutdown.
/// </summary>
public sealed class ProtocolV2Tests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task RegistersRunsAllocationsAndAnswersMonitoringAsTheDataplane()
    {
        await using var world = await V2World.StartAsync();
        var server = world.Server.V2;

        // Registration is seen by the Server before the executor has read its answer: health follows that answer.
        await Eventually.TrueAsync(async () => (await world.Executor.GetAsync("/monitoring/health")).Status == 200, Patience, "health after the accepted full_state");
        var health = await world.Executor.GetAsync("/monitoring/health");
        Assert.Equal(200, health.Status);
        Assert.Equal("{\"status\":\"ok\",\"message\":\"Successful\",\"checker\":\"DataplaneHealthChecker\"}", health.Body);
        Assert.StartsWith("# server_protocol: v2\n", (await world.Executor.GetAsync("/state/reported")).Body, StringComparison.Ordinal);
        var metrics = (await world.Executor.GetAsync("/monitoring/metrics")).Body;
        Assert.Matches("server_protocol\\{[^}]*protocol=\"v2\"[^}]*\\} 1", metrics);

        server.Send(world.AddContainer("c-1", TestFunctions.Echo), world.RunAllocation("a-1", "c-1", "\"hello\""));
        var completed = await world.WaitForOutcomeAsync("a-1");
        Assert.Equal(ProtoV2.AllocationOutcome.OutcomeOneofCase.Completed, completed.OutcomeCase);
        Assert.Equal("\"hello\"", Encoding.UTF8.GetString(world.Read(completed.Completed.Value)));
        Assert.Equal("call-a-1", completed.Completed.FunctionCallId);
        Assert.True(completed.Completed.HasExecutionDurationMs);
        Assert.Contains(server.Heartbeats, h => h.CommandResponses.Any(r => r.ContainerStarted?.ContainerId == "c-1"));
        Assert.Contains(server.Heartbeats, h => h.CommandResponses.Any(r => r.AllocationScheduled?.AllocationId == "a-1" && r.CommandSeq == 2));
        var desired = (await world.Executor.GetAsync("/state/desired")).Body;
        Assert.Contains("last_command_seq: 2", desired, StringComparison.Ordinal);
        Assert.Contains("container {", desired, StringComparison.Ordinal);

        // Lifecycle only for the container; the allocation's outcome is reported once.
        Assert.Single(server.Heartbeats.SelectMany(h => h.AllocationOutcomes).Select(o => o.Completed?.AllocationId).Distinct(), id => id == "a-1");

        var before = server.Heartbeats.Count;
        Assert.Equal(0, await world.Executor.StopAsync());
        var stopped = server.Heartbeats.Skip(before).Last();
        Assert.Equal(ProtoV2.ExecutorStatus.Stopped, stopped.Status);
    }

    [Fact]
    public async Task KilledRemovedAndMisplacedAllocationsEachGetTheirOwnFailure()
    {
        await using var world = await V2World.StartAsync();
        var server = world.Server.V2;
        server.Send(world.AddContainer("c-1", TestFunctions.SleepFor(120_000)), world.RunAllocation("running", "c-1"), world.RunAllocation("queued", "c-1"));
        await Eventually.TrueAsync(() => server.Heartbeats.Any(h => h.CommandResponses.Any(r => r.ContainerStarted?.ContainerId == "c-1")), Patience, "container started");

        server.Send(new ProtoV2.Command { KillAllocation = new ProtoV2.KillAllocation { AllocationId = "queued" } });
        var cancelled = (await world.WaitForOutcomeAsync("queued")).Failed;
        Assert.Equal(ProtoV2.AllocationFailureReason.AllocationCancelled, cancelled.Reason);
        Assert.False(cancelled.HasContainerId);

        server.Send(new ProtoV2.Command { RemoveContainer = new ProtoV2.RemoveContainer { ContainerId = "c-1" } }, world.RunAllocation("misplaced", "c-9"));
        var terminated = (await world.WaitForOutcomeAsync("running")).Failed;
        Assert.Equal(ProtoV2.AllocationFailureReason.ContainerTerminated, terminated.Reason);
        var misplaced = (await world.WaitForOutcomeAsync("misplaced")).Failed;
        Assert.Equal(ProtoV2.AllocationFailureReason.ContainerTerminated, misplaced.Reason);
        Assert.Equal("c-9", misplaced.ContainerId);
        await Eventually.TrueAsync(
            () => server.Heartbeats.Any(h => h.CommandResponses.Any(r => r.ContainerTerminated is { ContainerId: "c-1", Reason: ProtoV2.ContainerTerminationReason.FunctionCancelled })),
            Patience,
            "container terminated after its removal");
    }

    [Fact]
    public async Task ACallFunctionGoesOutAsALogEntryAndItsResultReachesTheWaitingParent()
    {
        await using var world = await V2World.StartAsync();
        var server = world.Server.V2;
        var childValue = world.Put("child-output", "child value", "text/plain", ProtoV2.DataPayloadEncoding.Utf8Text);
        var resultSent = 0;

        // The result is pushed while the heartbeat carrying the call is still being answered, so it usually arrives
        // before the FE even learns the call was created and reports its watcher (it is delivered when the watch appears).
        server.Intercept = request =>
        {
            if (request.AllocationLogEntries.FirstOrDefault() is { } entry && Interlocked.Exchange(ref resultSent, 1) == 0)
            {
                server.SendResult(new ProtoV2.SequencedAllocationResult
                {
                    Entry = new ProtoV2.AllocationLogEntry
                    {
                        AllocationId = entry.AllocationId,
                        FunctionCallResult = new ProtoV2.FunctionCallResult
                        {
                            Namespace = "ns",
                            RequestId = "req",
                            FunctionCallId = entry.CallFunction.Updates.RootFunctionCallId,
                            OutcomeCode = ProtoV2.AllocationOutcomeCode.Success,
                            ReturnValue = childValue,
                        },
                    },
                });
            }

            return null;
        };
        server.Send(world.AddContainer("c-1", TestFunctions.CallAndWait), world.RunAllocation("parent", "c-1", "{\"payload\":\"child argument\"}"));

        var completed = (await world.WaitForOutcomeAsync("parent")).Completed;
        Assert.Equal(TestFunctions.CallAndWaitPrefix + "child value", Encoding.UTF8.GetString(world.Read(completed.Value)));

        var entries = server.Heartbeats.SelectMany(h => h.AllocationLogEntries).ToList();
        var call = entries[0].CallFunction;
        Assert.Equal("parent", entries[0].AllocationId);
        Assert.Equal("call-parent", call.SourceFunctionCallId);
        Assert.StartsWith("parent.call.", call.Updates.RootFunctionCallId, StringComparison.Ordinal);
        Assert.Equal("child argument", Encoding.UTF8.GetString(world.Read(call.Updates.Updates[0].FunctionCall.Args[0].InlineData)));
        Assert.Single(entries.Select(e => e.CallFunction.Updates.RootFunctionCallId).Distinct());
    }

    [Fact]
    public async Task AfterALapseTheExecutorRegistersAgainWithItsContainersAndKeepsWorking()
    {
        await using var world = await V2World.StartAsync();
        var server = world.Server.V2;
        server.Send(world.AddContainer("c-1", TestFunctions.Echo));
        await Eventually.TrueAsync(() => server.Heartbeats.Any(h => h.CommandResponses.Any(r => r.ContainerStarted?.ContainerId == "c-1")), Patience, "container started");
        var fullStates = server.Heartbeats.Count(h => h.FullState is not null);

        // Lapsed: the Server forgot the executor; polls answer NOT_FOUND and the next heartbeat is asked for state.
        server.Forget();
        var again = await Eventually.UntilNotNullAsync(() => server.Heartbeats.Where(h => h.FullState is not null).Skip(fullStates).FirstOrDefault(), Patience, "full_state again");
        var container = Assert.Single(again.FullState.ContainerStates);
        Assert.Equal(ProtoV2.ContainerStatus.Running, container.Status);
        Assert.Equal("c-1", container.Description.Id);
        await Eventually.TrueAsync(() => server.Registered, Patience, "registered again");

        // Numbering restarted at 1 and the adopted container still runs work.
        server.Send(world.RunAllocation("after-lapse", "c-1"));
        Assert.Equal(ProtoV2.AllocationOutcome.OutcomeOneofCase.Completed, (await world.WaitForOutcomeAsync("after-lapse")).OutcomeCase);
        var polls = server.CommandPolls;
        Assert.Contains(polls, p => p.HasAckedCommandSeq && p.AckedCommandSeq == 1);
    }

    /// <summary>A scripted v2 Server, blobs on disk and the executor process.</summary>
    private sealed class V2World : IAsyncDisposable
    {
        private readonly TempDirectory _temp;

        private V2World(TempDirectory temp, ScriptedServer server, ExecutorProcess executor)
        {
            _temp = temp;
            Server = server;
            Executor = executor;
        }

        public ScriptedServer Server { get; }

        public ExecutorProcess Executor { get; }

        private string Blobs => Path.Combine(_temp.Path, "blobs");

        public static async Task<V2World> StartAsync()
        {
            var temp = new TempDirectory("executor-v2");
            var server = await ScriptedServer.StartAsync(v1: false, v2: true);
            server.V2.Hold = TimeSpan.FromSeconds(30);
            try
            {
                var executor = await ExecutorProcess.StartAsync(server.Address, Path.Combine(temp.Path, "cache"));
                await Eventually.TrueAsync(() => server.V2.Registered, Patience, "registered by full_state");
                return new V2World(temp, server, executor);
            }
            catch
            {
                await server.DisposeAsync();
                temp.Dispose();
                throw;
            }
        }

        public ProtoV2.Command AddContainer(string id, string function)
        {
            var code = Put($"ns/app/code/{id}.zip", "PK-test-code-1", "application/zip", ProtoV2.DataPayloadEncoding.BinaryZip);
            var description = V2Messages.Container(id, function);
            description.Application = code;
            return new ProtoV2.Command { AddContainer = new ProtoV2.AddContainer { Container = description } };
        }

        public ProtoV2.Command RunAllocation(string id, string containerId, string input = "\"hi\"")
        {
            var allocation = V2Messages.Allocation(id, containerId);
            allocation.Function.FunctionName = "fn";
            allocation.Args.Clear();
            allocation.Args.Add(Put($"ns/app/req/input-{id}", input, "application/json", ProtoV2.DataPayloadEncoding.Utf8Json));
            allocation.RequestDataPayloadUriPrefix = allocation.RequestErrorPayloadUriPrefix = new Uri(Path.Combine(Blobs, "ns/app/req")).AbsoluteUri;
            return new ProtoV2.Command { RunAllocation = new ProtoV2.RunAllocation { Allocation = allocation } };
        }

        public ProtoV2.DataPayload Put(string relativePath, string content, string contentType, ProtoV2.DataPayloadEncoding encoding)
        {
            var bytes = Encoding.UTF8.GetBytes(content);
            var path = Path.Combine(Blobs, relativePath);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, bytes);
            return new ProtoV2.DataPayload
            {
                Id = Guid.NewGuid().ToString("N"),
                Uri = new Uri(path).AbsoluteUri,
                Encoding = encoding,
                EncodingVersion = 0,
                ContentType = contentType,
                MetadataSize = 0,
                Offset = 0,
                Size = (ulong)bytes.Length,
                Sha256Hash = Convert.ToHexStringLower(SHA256.HashData(bytes)),
            };
        }

        public byte[] Read(ProtoV2.DataPayload payload)
        {
            var bytes = File.ReadAllBytes(new Uri(payload.Uri).LocalPath);
            return bytes.AsSpan((int)payload.Offset, (int)payload.Size).ToArray();
        }

        public Task<ProtoV2.AllocationOutcome> WaitForOutcomeAsync(string allocationId) => Eventually.UntilNotNullAsync(
            () => Server.V2.Heartbeats.SelectMany(h => h.AllocationOutcomes).FirstOrDefault(o => (o.Completed?.AllocationId ?? o.Failed?.AllocationId) == allocationId),
            Patience,
            $"outcome of {allocationId}");

        public async ValueTask DisposeAsync()
        {
            await Executor.DisposeAsync();
            await Server.DisposeAsync();
            _temp.Dispose();
        }
    }
}

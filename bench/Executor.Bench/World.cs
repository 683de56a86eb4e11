using System.Diagnostics;
using System.Text;
using Executor.Protocol.ServerV1;
using Executor.Testing;
using FakeIndexifyServer;

namespace Executor.Bench;

/// <summary>A fake Server (file:// blobs, no snapshot retention) and one real executor registered with it.</summary>
public sealed class World : IAsyncDisposable
{
    private readonly TempDirectory _temp;
    private int _apps;

    private World(TempDirectory temp, FakeServer server, ExecutorHandle executor, string executorId, TimeSpan startup, TimeSpan registered)
    {
        _temp = temp;
        Server = server;
        Executor = executor;
        ExecutorId = executorId;
        Startup = startup;
        Registered = registered;
    }

    public FakeServer Server { get; }

    public ExecutorHandle Executor { get; }

    public string ExecutorId { get; }

    /// <summary>Process start → /monitoring/startup 200.</summary>
    public TimeSpan Startup { get; }

    /// <summary>Process start → first accepted report at the fake.</summary>
    public TimeSpan Registered { get; }

    public static async Task<World> StartAsync(string executable, IReadOnlyDictionary<string, string>? environment, CancellationToken cancellationToken, ServerProtocol protocol = ServerProtocol.V1)
    {
        var temp = new TempDirectory("executor-bench");
        var server = await FakeServer.StartAsync(new FakeServerOptions
        {
            BlobStoreDirectory = Path.Combine(temp.Path, "blobs"),
            KeepSentSnapshots = false,
            Protocol = protocol,
        });
        ExecutorHandle? executor = null;
        try
        {
            executor = ExecutorHandle.Start(executable, server.Address, Path.Combine(temp.Path, "cache"), environment);
            var startup = await executor.WaitForStartupAsync(TimeSpan.FromSeconds(60), cancellationToken);
            var view = await server.WaitForRegisteredExecutorAsync(timeout: TimeSpan.FromSeconds(60));
            var registered = Stopwatch.GetElapsedTime(executor.StartedAt);
            return new World(temp, server, executor, view.ExecutorId, startup, registered);
        }
        catch
        {
            if (executor is not null)
            {
                await executor.DisposeAsync();
            }

            await server.DisposeAsync();
            temp.Dispose();
            throw;
        }
    }

    /// <summary>A new FE (its own application, so its own process) with small resource requests.</summary>
    public FunctionExecutorDescription NewFunctionExecutor(string function, uint maxConcurrency)
    {
        var app = "app" + Interlocked.Increment(ref _apps);
        var code = Server.Blobs.Put($"ns/{app}/code/1.zip", Encoding.UTF8.GetBytes("PK-bench-" + app), "application/zip");
        return Server.NewFunctionExecutor("ns", app, function, "1", maxConcurrency: maxConcurrency, cpuMsPerSec: 100, memoryMib: 64, diskMib: 64, codePayload: code);
    }

    /// <summary>An allocation with one small JSON argument already written to disk (not yet added).</summary>
    public Allocation NewAllocation(FunctionExecutorDescription fe, int n)
    {
        var request = "req" + n.ToString(System.Globalization.CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..8];
        var arg = Server.Blobs.PutRequestPayload("ns", fe.Function.ApplicationName, request, "input", Encoding.UTF8.GetBytes($"{{\"n\":{n}}}"), "application/json");
        return Server.NewAllocation(fe, [arg], requestId: request);
    }

    /// <summary>Adds FEs and waits until a report lists all of them RUNNING; returns push → RUNNING (fake receive time) per FE.</summary>
    public async Task<double[]> AddAndWaitRunningAsync(IReadOnlyList<FunctionExecutorDescription> fes, TimeSpan timeout)
    {
        var after = Server.LastSequence;
        var pushed = DateTimeOffset.UtcNow;
        foreach (var fe in fes)
        {
            Server.AddFunctionExecutor(ExecutorId, fe);
        }

        var result = new double[fes.Count];
        for (var i = 0; i < fes.Count; i++)
        {
            var id = fes[i].Id;
            var report = await Server.WaitForReportAsync(
                r => r.FunctionExecutorStates.Any(s => s.Description?.Id == id && s.Status is FunctionExecutorStatus.Running or FunctionExecutorStatus.Terminated),
                timeout,
                after);
            var state = report.FunctionExecutorStates.First(s => s.Description?.Id == id);
            if (state.Status != FunctionExecutorStatus.Running)
            {
                throw new BenchFailure($"function executor {id} ({fes[i].Function.FunctionName}) terminated at startup: {state.TerminationReason}\n{Executor.Tail}");
            }

            result[i] = (report.ReceivedAt - pushed).TotalMilliseconds;
        }

        return result;
    }

    public async ValueTask DisposeAsync()
    {
        await Executor.DisposeAsync();
        await Server.DisposeAsync();
        _temp.Dispose();
    }
}

using System.Text;
using Executor.Protocol.ServerV1;
using Executor.Testing;
using FakeIndexifyServer;

namespace Executor.TestHost;

/// <summary>One test's world: a fake Server with a file:// blob root, a cache directory and a running executor.</summary>
public sealed partial class ExecutorScenario : IAsyncDisposable
{
    private readonly TempDirectory _temp;
    private readonly HashSet<string> _writtenCode = new(StringComparer.Ordinal);
    private readonly bool _readableLogs;

    private ExecutorScenario(TempDirectory temp, FakeServer server, ExecutorProcess executor, string executorId, ProtocolCombination protocols, IReadOnlyList<string> executorArguments, IReadOnlyDictionary<string, string> executorEnvironment, bool readableLogs)
    {
        _temp = temp;
        Server = server;
        Executor = executor;
        ExecutorId = executorId;
        Protocols = protocols;
        ExecutorArguments = executorArguments;
        ExecutorEnvironment = executorEnvironment;
        _readableLogs = readableLogs;
    }

    public FakeServer Server { get; }

    public ExecutorProcess Executor { get; }

    public string ExecutorId { get; }

    public string Root => _temp.Path;

    /// <summary>The fake Server's protocol and the protocol of every FE the executor starts.</summary>
    public ProtocolCombination Protocols { get; }

    /// <summary>The extra arguments the executor was started with.</summary>
    public IReadOnlyList<string> ExecutorArguments { get; }

    /// <summary>The extra environment the executor was started with, including the FE protocol's passthrough.</summary>
    public IReadOnlyDictionary<string, string> ExecutorEnvironment { get; }

    /// <summary>
    /// Starts a fake Server in <paramref name="protocols"/>' Server protocol (default v1 with FE protocol 0.1.2) and an
    /// executor against it with <c>--server-protocol auto</c> (unless <paramref name="executorArguments"/> say
    /// otherwise) whose FEs all speak <paramref name="protocols"/>' FE protocol; returns once the executor registered.
    /// </summary>
    public static async Task<ExecutorScenario> StartAsync(FakeServerOptions? serverOptions = null, IEnumerable<string>? executorArguments = null, IReadOnlyDictionary<string, string>? environment = null, bool readableLogs = true, ProtocolCombination? protocols = null)
    {
        protocols ??= ProtocolCombination.V1Fe012;
        var temp = new TempDirectory("executor-e2e");
        var options = (serverOptions ?? new FakeServerOptions { BlobStoreDirectory = Path.Combine(temp.Path, "blobs") }) with { Protocol = protocols.Server };
        var arguments = executorArguments?.ToList() ?? [];
        var executorEnvironment = FunctionExecutorEnvironment.WithProtocol(environment, protocols.FunctionExecutor);
        var server = await FakeServer.StartAsync(options);
        ExecutorProcess? executor = null;
        try
        {
            executor = await ExecutorProcess.StartAsync(server.Address, Path.Combine(temp.Path, "cache"), arguments, executorEnvironment, readableLogs: readableLogs);
            var registered = await server.WaitForRegisteredExecutorAsync(timeout: TimeSpan.FromSeconds(30));
            return new ExecutorScenario(temp, server, executor, registered.ExecutorId, protocols, arguments, executorEnvironment, readableLogs);
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

    /// <summary>
    /// Another executor process against this scenario's Server with the same arguments and environment (so the same FE
    /// protocol), e.g. a restart on <see cref="ExecutorProcess.CachePath"/> after a kill, or a second executor on another
    /// cache. The caller disposes it.
    /// </summary>
    public Task<ExecutorProcess> StartExecutorAsync(string cachePath) =>
        ExecutorProcess.StartAsync(Server.Address, cachePath, ExecutorArguments, ExecutorEnvironment, readableLogs: _readableLogs);

    /// <summary>Adds an FE whose behaviour is the test FE function <paramref name="function"/>, with a real code zip on disk.</summary>
    public FunctionExecutorDescription AddFunctionExecutor(string function, uint maxConcurrency = 1, uint allocationTimeoutMs = 300_000, uint initializationTimeoutMs = 300_000, string application = "app", string version = "1", GPUResources? gpu = null, ulong memoryMib = 1024)
    {
        var description = NewFunctionExecutor(function, maxConcurrency, allocationTimeoutMs, initializationTimeoutMs, application, version, gpu, memoryMib);
        return Server.AddFunctionExecutor(ExecutorId, description);
    }

    /// <summary>
    /// Writes the code zip and describes an FE like <see cref="AddFunctionExecutor"/>, without placing it: allocations can
    /// be queued for it first (<see cref="QueueAllocation"/>) so that they arrive in the same desired state as the FE.
    /// </summary>
    public FunctionExecutorDescription NewFunctionExecutor(string function, uint maxConcurrency = 1, uint allocationTimeoutMs = 300_000, uint initializationTimeoutMs = 300_000, string application = "app", string version = "1", GPUResources? gpu = null, ulong memoryMib = 1024)
    {
        // One code file per application version, written once: rewriting it while the executor downloads it for
        // another FE would hand that FE a torn file.
        var codeBytes = Encoding.UTF8.GetBytes("PK-test-code-" + version);
        var codePath = $"ns/{application}/code/{version}.zip";
        var code = _writtenCode.Add(codePath) ? Server.Blobs.Put(codePath, codeBytes, "application/zip") : Server.Blobs.Describe(codePath, codeBytes, "application/zip");
        return Server.NewFunctionExecutor("ns", application, function, version, maxConcurrency: maxConcurrency, memoryMib: memoryMib, allocationTimeoutMs: allocationTimeoutMs, initializationTimeoutMs: initializationTimeoutMs, codePayload: code, gpu: gpu);
    }

    /// <summary>Like <see cref="AddAllocation"/> for an FE that is not placed yet: the allocation waits in the fake until it is.</summary>
    public Allocation QueueAllocation(FunctionExecutorDescription fe, string input = "\"hello\"")
    {
        var request = Guid.NewGuid().ToString("N");
        var arg = Server.Blobs.PutRequestPayload("ns", fe.Function.ApplicationName, request, "input-" + Guid.NewGuid().ToString("N"), Encoding.UTF8.GetBytes(input), "application/json");
        return Server.AddAllocation(Server.NewAllocation(fe, [arg], requestId: request), ExecutorId);
    }

    /// <summary>Adds an allocation with one UTF-8 JSON argument written under the request's prefix.</summary>
    public Allocation AddAllocation(FunctionExecutorDescription fe, string input = "\"hello\"", string? requestId = null)
    {
        var request = requestId ?? Guid.NewGuid().ToString("N");
        var arg = Server.Blobs.PutRequestPayload("ns", fe.Function.ApplicationName, request, "input-" + Guid.NewGuid().ToString("N"), Encoding.UTF8.GetBytes(input), "application/json");
        return Server.AddAllocation(Server.NewAllocation(fe, [arg], requestId: request));
    }

    public async ValueTask DisposeAsync()
    {
        await Executor.DisposeAsync();
        await Server.DisposeAsync();
        _temp.Dispose();
    }
}

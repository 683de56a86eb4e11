using System.Collections.Concurrent;
using System.Diagnostics;
using Executor.Protocol.FunctionExecutorV1;
using Executor.Testing;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace TestFunctionExecutor.Tests.Infrastructure;

/// <summary>
/// One test Function Executor process started like the executor starts it
/// (<c>--executor-id=… --function-executor-id=… --address localhost:PORT</c>), with a raw gRPC client.
/// Disposing kills the process tree, whatever state the test left it in.
/// </summary>
public sealed class FunctionExecutorProcess : IAsyncDisposable
{
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    private readonly ConcurrentQueue<string> _output = new();
    private readonly Process _process;
    private readonly GrpcChannel _channel;

    private FunctionExecutorProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        _channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}", new GrpcChannelOptions
        {
            MaxReceiveMessageSize = null,
            MaxSendMessageSize = null,
        });
        Client = new FunctionExecutor.FunctionExecutorClient(_channel);
    }

    public int Port { get; }

    public FunctionExecutor.FunctionExecutorClient Client { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>stdout and stderr lines so far (stderr lines prefixed "err: ").</summary>
    public string Output => string.Join('\n', _output);

    public static DateTime Deadline => DateTime.UtcNow + CallTimeout;

    /// <summary>Waits until the FE has printed <paramref name="text"/> (its output is read asynchronously).</summary>
    public Task WaitForOutputAsync(string text)
        => Eventually.TrueAsync(() => Output.Contains(text, StringComparison.Ordinal), because: $"the FE prints '{text}'");

    /// <summary>Starts the FE on a free port and waits until get_info answers.</summary>
    public static async Task<FunctionExecutorProcess> StartAsync(
        IReadOnlyDictionary<string, string>? environment = null,
        Func<int, IReadOnlyList<string>>? arguments = null)
    {
        // FreePort is racy (another process may grab the port before the FE binds it): try a few ports.
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort.Get();
            var fe = Launch(port, environment, arguments?.Invoke(port) ?? DefaultArguments(port));
            try
            {
                await fe.WaitUntilServingAsync().ConfigureAwait(false);
                return fe;
            }
            catch (Exception) when (attempt < 3 && fe.HasExited)
            {
                await fe.DisposeAsync().ConfigureAwait(false);
            }
            catch
            {
                await fe.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    /// <summary>Starts the FE process without waiting for it to serve.</summary>
    public static FunctionExecutorProcess Launch(int port, IReadOnlyDictionary<string, string>? environment, IReadOnlyList<string> arguments)
    {
        var startInfo = new ProcessStartInfo(RepositoryPaths.TestFunctionExecutor)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }

        var process = new Process { StartInfo = startInfo };
        var fe = new FunctionExecutorProcess(process, port);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { fe._output.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { fe._output.Enqueue("err: " + e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return fe;
    }

    public static IReadOnlyList<string> DefaultArguments(int port)
        => ["--executor-id=test-executor", $"--function-executor-id=fe-{port}", "--address", $"localhost:{port}"];

    public async Task WaitUntilServingAsync()
        => await Eventually.TrueAsync(async () =>
        {
            if (HasExited)
            {
                throw new InvalidOperationException($"FE exited with {_process.ExitCode} before serving:\n{Output}");
            }

            // Until this process has bound the port, get_info could reach another process that grabbed it first.
            if (!Output.Contains(": listening on ", StringComparison.Ordinal))
            {
                return false;
            }

            try
            {
                await Client.get_infoAsync(new InfoRequest(), deadline: DateTime.UtcNow.AddSeconds(5));
                return true;
            }
            catch (RpcException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60), "test FE serves get_info").ConfigureAwait(false);

    public Task<InitializeResponse> InitializeAsync(string functionName, DateTime? deadline = null)
        => Client.initializeAsync(InitializeRequest(functionName), deadline: deadline ?? Deadline).ResponseAsync;

    /// <summary>A valid request: complete FunctionRef, BINARY_ZIP code.</summary>
    public static InitializeRequest InitializeRequest(string functionName) => new()
    {
        Function = new FunctionRef { Namespace = "test-ns", ApplicationName = "test-app", FunctionName = functionName, ApplicationVersion = "v1" },
        ApplicationCode = new SerializedObject
        {
            Manifest = new SerializedObjectManifest { Encoding = SerializedObjectEncoding.BinaryZip, EncodingVersion = 0, Size = 4, MetadataSize = 0, Sha256Hash = "unused" },
            Data = ByteString.CopyFromUtf8("PK\u0005\u0006"),
        },
    };

    /// <summary>Sends SIGTERM, as the executor does to stop an FE.</summary>
    public void Terminate()
    {
        if (!_process.HasExited)
        {
            _ = Kill(_process.Id, SigTerm);
        }
    }

    /// <summary>Waits for the process to exit on its own and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        return _process.ExitCode;
    }

    private const int SigTerm = 15;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }
        finally
        {
            _process.Dispose();
            _channel.Dispose();
        }
    }
}

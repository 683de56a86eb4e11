using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Executor.Testing;
using Google.Protobuf;
using Grpc.Net.Client;
using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.Bench;

/// <summary>
/// The test FE driven directly by the bench (no executor): its own process start, initialize, and the cost of one
/// echo allocation over the same RPC sequence the executor's AllocationRunner uses (create, watch, output BLOB
/// reply, result, delete). This is the "FE's own time" subtracted from the end-to-end figures.
/// </summary>
public sealed class FeDirect : IAsyncDisposable
{
    private readonly Process _process;
    private readonly GrpcChannel _channel;
    private readonly string _dir;

    private FeDirect(Process process, GrpcChannel channel, string dir, int port)
    {
        _process = process;
        _channel = channel;
        _dir = dir;
        Port = port;
        Client = new Fe.FunctionExecutor.FunctionExecutorClient(channel);
    }

    public int Port { get; }

    public Fe.FunctionExecutor.FunctionExecutorClient Client { get; }

    public sealed record StartTimes(double SpawnToListeningMs, double SpawnToInfoMs, double InitializeMs, double SpawnToInitializedMs);

    /// <summary>Spawns the test FE, polls its port every 1 ms, then get_info and initialize(<paramref name="function"/>).</summary>
    public static async Task<(FeDirect Fe, StartTimes Times)> StartAsync(string function, CancellationToken cancellationToken)
    {
        var dir = Path.Combine(Path.GetTempPath(), "bench-fe-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var port = FreePort.Get();
        var startInfo = new ProcessStartInfo(RepositoryPaths.TestFunctionExecutor)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dir,
        };
        foreach (var arg in new[] { "--executor-id", "bench", "--function-executor-id", "fe-direct", "--address", $"127.0.0.1:{port}" })
        {
            startInfo.ArgumentList.Add(arg);
        }

        var started = Stopwatch.GetTimestamp();
        var process = Process.Start(startInfo) ?? throw new BenchFailure("test FE did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = started + (10 * Stopwatch.Frequency);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                throw new BenchFailure($"test FE exited with {process.ExitCode} before listening");
            }

            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
                break;
            }
            catch (SocketException)
            {
                if (Stopwatch.GetTimestamp() > deadline)
                {
                    process.Kill();
                    throw new BenchFailure("test FE did not listen within 10 s");
                }

                await Task.Delay(1, cancellationToken);
            }
        }

        var listening = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}", new GrpcChannelOptions { HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true } });
        var fe = new FeDirect(process, channel, dir, port);
        _ = await fe.Client.get_infoAsync(new Fe.InfoRequest(), deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: cancellationToken);
        var info = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var initStarted = Stopwatch.GetTimestamp();
        var response = await fe.Client.initializeAsync(
            new Fe.InitializeRequest
            {
                Function = new Fe.FunctionRef { Namespace = "ns", ApplicationName = "app", FunctionName = function, ApplicationVersion = "1" },
                ApplicationCode = new Fe.SerializedObject
                {
                    Manifest = new Fe.SerializedObjectManifest { Encoding = Fe.SerializedObjectEncoding.BinaryZip, EncodingVersion = 0, Size = 4, MetadataSize = 0 },
                    Data = ByteString.CopyFromUtf8("PK-x"),
                },
            },
            deadline: DateTime.UtcNow.AddSeconds(60),
            cancellationToken: cancellationToken);
        if (response.OutcomeCode != Fe.InitializationOutcomeCode.Success)
        {
            throw new BenchFailure($"direct initialize answered {response.OutcomeCode}");
        }

        var initMs = Stopwatch.GetElapsedTime(initStarted).TotalMilliseconds;
        return (fe, new StartTimes(listening, info, initMs, Stopwatch.GetElapsedTime(started).TotalMilliseconds));
    }

    public sealed record RunTimes(double CreateToResultMs, double TotalMs);

    /// <summary>One echo allocation, exactly the executor's RPC sequence, with file:// BLOBs.</summary>
    public async Task<RunTimes> RunEchoAsync(string id, byte[] input, CancellationToken cancellationToken)
    {
        var inputPath = Path.Combine(_dir, id + ".in");
        await File.WriteAllBytesAsync(inputPath, input, cancellationToken);
        var started = Stopwatch.GetTimestamp();
        var allocation = new Fe.Allocation
        {
            RequestId = "req-" + id,
            FunctionCallId = "call-" + id,
            AllocationId = id,
            Inputs = new Fe.FunctionInputs
            {
                FunctionCallMetadata = ByteString.Empty,
                RequestErrorBlob = new Fe.BLOB { Id = "request_error_blob", Chunks = { new Fe.BLOBChunk { Uri = "file://" + Path.Combine(_dir, id + ".err"), Size = 1024 * 1024 } } },
            },
        };
        allocation.Inputs.Args.Add(new Fe.SerializedObjectInsideBLOB
        {
            Manifest = new Fe.SerializedObjectManifest
            {
                Encoding = Fe.SerializedObjectEncoding.Utf8Json,
                EncodingVersion = 0,
                Size = (ulong)input.Length,
                MetadataSize = 0,
                Sha256Hash = Convert.ToHexStringLower(SHA256.HashData(input)),
                ContentType = "application/json",
            },
            Offset = 0,
        });
        allocation.Inputs.ArgBlobs.Add(new Fe.BLOB { Chunks = { new Fe.BLOBChunk { Uri = "file://" + inputPath, Size = (ulong)input.Length } } });

        var createStarted = Stopwatch.GetTimestamp();
        await Client.create_allocationAsync(new Fe.CreateAllocationRequest { Allocation = allocation }, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken);
        using var watch = Client.watch_allocation_state(new Fe.WatchAllocationStateRequest { AllocationId = id }, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken);
        var answered = new HashSet<string>(StringComparer.Ordinal);
        Fe.AllocationResult? result = null;
        string? lastHash = null;
        while (result is null && await watch.ResponseStream.MoveNext(cancellationToken))
        {
            var state = watch.ResponseStream.Current;
            if (state.HasSha256Hash && state.Sha256Hash == lastHash)
            {
                continue;
            }

            lastHash = state.HasSha256Hash ? state.Sha256Hash : null;
            foreach (var request in state.OutputBlobRequests)
            {
                if (!answered.Add(request.Id))
                {
                    continue;
                }

                await Client.send_allocation_updateAsync(
                    new Fe.AllocationUpdate
                    {
                        AllocationId = id,
                        OutputBlob = new Fe.AllocationOutputBlob
                        {
                            Status = new Google.Rpc.Status { Code = 0 },
                            Blob = new Fe.BLOB { Id = request.Id, Chunks = { new Fe.BLOBChunk { Uri = "file://" + Path.Combine(_dir, $"{id}.{request.Id}.out"), Size = request.Size } } },
                        },
                    },
                    deadline: DateTime.UtcNow.AddSeconds(30),
                    cancellationToken: cancellationToken);
            }

            result = state.Result;
        }

        var createToResult = Stopwatch.GetElapsedTime(createStarted).TotalMilliseconds;
        if (result is null || result.OutcomeCode != Fe.AllocationOutcomeCode.Success)
        {
            throw new BenchFailure($"direct echo allocation {id} did not succeed: {result}");
        }

        await Client.delete_allocationAsync(new Fe.DeleteAllocationRequest { AllocationId = id }, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken);
        return new RunTimes(createToResult, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
        {
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    internal static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}

using System.Net;
using System.Net.Sockets;
using Executor.Protocol.FunctionExecutorV1;
using Grpc.Core;
using TestFunctionExecutor.Tests.Infrastructure;

namespace TestFunctionExecutor.Tests;

/// <summary>Command line, get_info, health before/after initialize, initialize validation.</summary>
public sealed class LifecycleTests
{
    [Fact]
    public async Task Serves_info_then_health_only_after_a_valid_initialize()
    {
        // The "--address=" form, --dev and an unknown argument, as the executor may pass them.
        await using var fe = await FunctionExecutorProcess.StartAsync(arguments: port =>
            ["--executor-id=exec-1", "--function-executor-id=fe-lifecycle", $"--address=localhost:{port}", "--dev", "--unknown-flag=1"]);
        var client = fe.Client;

        var info = await client.get_infoAsync(new InfoRequest(), deadline: FunctionExecutorProcess.Deadline);
        Assert.True(info.HasVersion && info.HasSdkVersion && info.HasSdkLanguage && info.HasSdkLanguageVersion);
        Assert.Equal("dotnet-test", info.SdkLanguage);

        var health = await Assert.ThrowsAsync<RpcException>(() => client.check_healthAsync(new HealthCheckRequest(), deadline: FunctionExecutorProcess.Deadline).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, health.StatusCode);

        var early = await Assert.ThrowsAsync<RpcException>(() => client.create_allocationAsync(
            new CreateAllocationRequest { Allocation = AllocationInputs.WithInputs("a", new FunctionInputs()) }, deadline: FunctionExecutorProcess.Deadline).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, early.StatusCode);

        var noVersion = FunctionExecutorProcess.InitializeRequest(TestFunctions.Echo);
        noVersion.Function.ClearApplicationVersion();
        var invalid = await Assert.ThrowsAsync<RpcException>(() => client.initializeAsync(noVersion, deadline: FunctionExecutorProcess.Deadline).ResponseAsync);
        Assert.Equal(StatusCode.Unknown, invalid.StatusCode);

        var notZip = FunctionExecutorProcess.InitializeRequest(TestFunctions.Echo);
        notZip.ApplicationCode.Manifest.Encoding = SerializedObjectEncoding.BinaryPickle;
        invalid = await Assert.ThrowsAsync<RpcException>(() => client.initializeAsync(notZip, deadline: FunctionExecutorProcess.Deadline).ResponseAsync);
        Assert.Contains("BINARY_ZIP", invalid.Status.Detail, StringComparison.Ordinal);

        var initialized = await fe.InitializeAsync(TestFunctions.Echo);
        Assert.Equal(InitializationOutcomeCode.Success, initialized.OutcomeCode);
        var healthy = await client.check_healthAsync(new HealthCheckRequest(), deadline: FunctionExecutorProcess.Deadline);
        Assert.True(healthy.Healthy);

        var again = await fe.InitializeAsync(TestFunctions.Echo);
        Assert.Equal(InitializationOutcomeCode.Failure, again.OutcomeCode);
        Assert.Equal(InitializationFailureReason.FunctionError, again.FailureReason);

        await Executor.Testing.Eventually.TrueAsync(() => fe.Output.Contains("ignored cli arguments: --unknown-flag=1", StringComparison.Ordinal), because: "the FE notes ignored arguments");
    }

    [Fact]
    public async Task Exits_non_zero_with_a_clear_message_when_the_port_is_taken()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;

        await using var fe = FunctionExecutorProcess.Launch(port, null, FunctionExecutorProcess.DefaultArguments(port));
        var exitCode = await fe.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(TestFunctions.AddressInUseExitCode, exitCode);
        Assert.Contains($"failed to listen on localhost:{port}", fe.Output, StringComparison.Ordinal);
        Assert.Contains("address already in use", fe.Output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Exits_non_zero_without_an_address()
    {
        await using var fe = FunctionExecutorProcess.Launch(0, null, ["--executor-id=exec-1"]);
        Assert.Equal(1, await fe.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("--address argument is required", fe.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_idle_connection_stays_open_between_calls()
    {
        // The executor keeps one channel per FE and may leave it idle between allocations; a server that closes
        // idle connections races every call started as it does so (Kestrel's "infinite" keep-alive did, each second).
        await using var fe = await FunctionExecutorProcess.StartAsync();
        var connects = 0;
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                Interlocked.Increment(ref connects);
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress($"http://127.0.0.1:{fe.Port}", new Grpc.Net.Client.GrpcChannelOptions { HttpHandler = handler });
        var client = new FunctionExecutor.FunctionExecutorClient(channel);

        await client.get_infoAsync(new InfoRequest(), deadline: FunctionExecutorProcess.Deadline);
        // Idle across several of Kestrel's one-second heartbeats, which is when idle connections are judged.
        await Task.Delay(TimeSpan.FromSeconds(3.5));
        await client.get_infoAsync(new InfoRequest(), deadline: FunctionExecutorProcess.Deadline);

        Assert.Equal(1, Volatile.Read(ref connects));
    }
}

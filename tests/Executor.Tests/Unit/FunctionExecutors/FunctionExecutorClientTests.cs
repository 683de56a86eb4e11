using System.Net;
using System.Net.Sockets;
using Executor.FunctionExecutors;
using Executor.Testing;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;
using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.Tests.Unit.FunctionExecutors;

/// <summary>The FE client against a real FE gRPC server on 127.0.0.1 behind a front that breaks connections.</summary>
public sealed class FunctionExecutorClientTests
{
    [Fact]
    public async Task ACallWhoseConnectionBrokeBeforeTheFunctionExecutorGotItIsSentAgainOnANewConnection()
    {
        await using var fe = await CountingFunctionExecutor.StartAsync();
        await using var front = ConnectionBreakingFront.Start(fe.Port, connectionsToBreak: 1);
        using var client = new FunctionExecutorClient($"127.0.0.1:{front.Port}");

        await client.DeleteAllocationAsync("alloc-1", TimeSpan.FromSeconds(30), CancellationToken.None);

        Assert.Equal(1, fe.Deletes);
        Assert.Equal(2, front.Connections);
    }

    /// <summary>An FE gRPC server that only counts delete_allocation calls.</summary>
    private sealed class CountingFunctionExecutor : Fe.FunctionExecutor.FunctionExecutorBase, IAsyncDisposable
    {
        private WebApplication? _app;
        private int _deletes;

        public int Port { get; private set; }

        public int Deletes => Volatile.Read(ref _deletes);

        public static async Task<CountingFunctionExecutor> StartAsync()
        {
            var fe = new CountingFunctionExecutor { Port = FreePort.Get() };
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, fe.Port, listen => listen.Protocols = HttpProtocols.Http2));
            builder.Services.AddGrpc();
            builder.Services.AddSingleton(fe);
            fe._app = builder.Build();
            fe._app.MapGrpcService<CountingFunctionExecutor>();
            await fe._app.StartAsync();
            return fe;
        }

        public override Task<Fe.Empty> delete_allocation(Fe.DeleteAllocationRequest request, ServerCallContext context)
        {
            Interlocked.Increment(ref _deletes);
            return Task.FromResult(new Fe.Empty());
        }

        public async ValueTask DisposeAsync()
        {
            if (_app is not null)
            {
                await _app.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// A TCP front on 127.0.0.1: the first <c>connectionsToBreak</c> connections are reset as soon as the client sent
    /// something (so no call on them reaches the FE), later ones are piped to the FE.
    /// </summary>
    private sealed class ConnectionBreakingFront : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly int _backendPort;
        private readonly int _connectionsToBreak;
        private readonly List<Task> _tasks = [];
        private int _connections;

        private ConnectionBreakingFront(int backendPort, int connectionsToBreak)
        {
            _backendPort = backendPort;
            _connectionsToBreak = connectionsToBreak;
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public int Connections => Volatile.Read(ref _connections);

        public static ConnectionBreakingFront Start(int backendPort, int connectionsToBreak)
        {
            var front = new ConnectionBreakingFront(backendPort, connectionsToBreak);
            front._listener.Start();
            front._tasks.Add(front.AcceptAsync());
            return front;
        }

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                Socket socket;
                try
                {
                    socket = await _listener.AcceptSocketAsync(_stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                var number = Interlocked.Increment(ref _connections);
                lock (_tasks)
                {
                    _tasks.Add(number <= _connectionsToBreak ? BreakAsync(socket) : PipeAsync(socket));
                }
            }
        }

        private async Task BreakAsync(Socket socket)
        {
            using (socket)
            {
                var buffer = new byte[1024];
                await socket.ReceiveAsync(buffer, _stop.Token);
                socket.LingerState = new LingerOption(true, 0); // RST, as a connection dropped under the client
                socket.Close();
            }
        }

        private async Task PipeAsync(Socket socket)
        {
            using (socket)
            using (var backend = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            {
                await backend.ConnectAsync(IPAddress.Loopback, _backendPort, _stop.Token);
                using var client = new NetworkStream(socket, ownsSocket: false);
                using var server = new NetworkStream(backend, ownsSocket: false);
                var up = client.CopyToAsync(server, _stop.Token);
                var down = server.CopyToAsync(client, _stop.Token);
                try
                {
                    await Task.WhenAny(up, down);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            Task[] tasks;
            lock (_tasks)
            {
                tasks = [.. _tasks];
            }

            try
            {
                await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException)
            {
            }

            _stop.Dispose();
        }
    }
}

using Executor.FunctionExecutors;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;
using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.Allocations.Tests;

/// <summary>
/// delete_allocation after an outcome: a connection the FE's HTTP/2 server breaks under the call must not get a
/// healthy FE replaced as "undefined" (seen under load in the 20,000-allocation test).
/// </summary>
public sealed class DeleteAllocationRetryTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ADeleteBrokenInTheTransportIsRetriedAndARetryAnsweredNotFoundCountsAsDone(bool firstAttemptReachedTheFe)
    {
        await using var fe = await BreakingFunctionExecutor.StartAsync(firstAttemptReachedTheFe);
        using var client = new FunctionExecutorClient(fe.Address);

        await client.DeleteAllocationAsync("alloc-1", TimeSpan.FromSeconds(30), CancellationToken.None);

        Assert.Equal(2, fe.Service.Calls);
        Assert.True(fe.Service.Deleted);
    }

    [Fact]
    public async Task ADeleteTheFeRefusesIsNotRetried()
    {
        await using var fe = await BreakingFunctionExecutor.StartAsync(firstAttemptReachedTheFe: false, refuse: true);
        using var client = new FunctionExecutorClient(fe.Address);

        var error = await Assert.ThrowsAsync<RpcException>(() => client.DeleteAllocationAsync("alloc-1", TimeSpan.FromSeconds(30), CancellationToken.None));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Equal(1, fe.Service.Calls);
    }

    private sealed class BreakingService(bool firstAttemptReachedTheFe, bool refuse) : Fe.FunctionExecutor.FunctionExecutorBase
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public bool Deleted { get; private set; }

        public override Task<Fe.Empty> delete_allocation(Fe.DeleteAllocationRequest request, ServerCallContext context)
        {
            if (refuse)
            {
                Interlocked.Increment(ref _calls);
                throw new RpcException(new Status(StatusCode.FailedPrecondition, "allocation is still running"));
            }

            if (Interlocked.Increment(ref _calls) == 1)
            {
                Deleted = firstAttemptReachedTheFe;

                // The connection goes away under the call, as when a busy FE's server drops it.
                context.GetHttpContext().Abort();
                return new TaskCompletionSource<Fe.Empty>().Task;
            }

            if (Deleted)
            {
                throw new RpcException(new Status(StatusCode.NotFound, $"Allocation {request.AllocationId} not found"));
            }

            Deleted = true;
            return Task.FromResult(new Fe.Empty());
        }
    }

    private sealed class BreakingFunctionExecutor(WebApplication app, BreakingService service) : IAsyncDisposable
    {
        public BreakingService Service { get; } = service;

        public string Address { get; } = new Uri(app.Urls.Single()).Authority;

        public static async Task<BreakingFunctionExecutor> StartAsync(bool firstAttemptReachedTheFe, bool refuse = false)
        {
            var service = new BreakingService(firstAttemptReachedTheFe, refuse);
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(o => o.Listen(System.Net.IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
            builder.Services.AddGrpc();
            builder.Services.AddSingleton(service);
            var app = builder.Build();
            app.MapGrpcService<BreakingService>();
            await app.StartAsync();
            return new BreakingFunctionExecutor(app, service);
        }

        public async ValueTask DisposeAsync() => await app.DisposeAsync();
    }
}

using Executor.Protocol.ServerV1;
using Grpc.Core;

namespace FakeIndexifyServer.Hosting;

/// <summary>Thin gRPC adapter: every RPC is handled by the <see cref="FakeServer"/> that owns the state.</summary>
internal sealed class ExecutorApiService(FakeServer server) : ExecutorAPI.ExecutorAPIBase
{
    public override Task<ReportExecutorStateResponse> report_executor_state(ReportExecutorStateRequest request, ServerCallContext context) =>
        server.HandleReportAsync(request, context);

    public override Task get_desired_executor_states(
        GetDesiredExecutorStatesRequest request,
        IServerStreamWriter<DesiredExecutorState> responseStream,
        ServerCallContext context) =>
        server.HandleStreamAsync(request, responseStream, context);

    public override Task<FunctionCallResponse> call_function(FunctionCallRequest request, ServerCallContext context) =>
        server.HandleFunctionCallAsync(request, context);
}

using Grpc.Core;
using ProtoV1 = Executor.Protocol.ServerV1;

namespace Executor.Tests.Unit.V2.Infrastructure;

/// <summary>Protocol v1 for <see cref="ScriptedServer"/>: accepts reports, streams one desired state per stream and holds it open.</summary>
internal sealed class ScriptedV1Service : ProtoV1.ExecutorAPI.ExecutorAPIBase
{
    private readonly Lock _gate = new();
    private readonly List<ProtoV1.ReportExecutorStateRequest> _reports = [];
    private CancellationTokenSource _streams = new();

    public volatile bool Enabled = true;

    public int StreamsOpened;

    public IReadOnlyList<ProtoV1.ReportExecutorStateRequest> Reports
    {
        get
        {
            lock (_gate)
            {
                return [.. _reports];
            }
        }
    }

    public void EndStreams()
    {
        CancellationTokenSource ended;
        lock (_gate)
        {
            ended = _streams;
            _streams = new CancellationTokenSource();
        }

        ended.Cancel();
    }

    public override Task<ProtoV1.ReportExecutorStateResponse> report_executor_state(ProtoV1.ReportExecutorStateRequest request, ServerCallContext context)
    {
        ThrowIfDisabled();
        lock (_gate)
        {
            _reports.Add(request);
        }

        return Task.FromResult(new ProtoV1.ReportExecutorStateResponse());
    }

    public override async Task get_desired_executor_states(ProtoV1.GetDesiredExecutorStatesRequest request, IServerStreamWriter<ProtoV1.DesiredExecutorState> responseStream, ServerCallContext context)
    {
        ThrowIfDisabled();
        CancellationToken ended;
        lock (_gate)
        {
            ended = _streams.Token;
        }

        var opened = Interlocked.Increment(ref StreamsOpened);
        await responseStream.WriteAsync(new ProtoV1.DesiredExecutorState { Clock = (ulong)opened });
        using var both = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, ended);
        try
        {
            await Task.Delay(Timeout.Infinite, both.Token);
        }
        catch (OperationCanceledException)
        {
            // Stream ends (by the client, or EndStreams).
        }
    }

    public override Task<ProtoV1.FunctionCallResponse> call_function(ProtoV1.FunctionCallRequest request, ServerCallContext context)
    {
        ThrowIfDisabled();
        return Task.FromResult(new ProtoV1.FunctionCallResponse());
    }

    private void ThrowIfDisabled()
    {
        if (!Enabled)
        {
            throw new RpcException(new Status(StatusCode.Unimplemented, string.Empty));
        }
    }
}

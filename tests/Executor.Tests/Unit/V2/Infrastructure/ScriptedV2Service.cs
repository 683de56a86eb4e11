using Grpc.Core;
using ProtoV2 = Executor.Protocol.ServerV2;

namespace Executor.Tests.Unit.V2.Infrastructure;

/// <summary>
/// Protocol v2 for <see cref="ScriptedServer"/>, following server-contract §3: an unknown executor is answered
/// send_state=true; full_state registers and restarts both sequences at 1 (pending items dropped); polls answer
/// NOT_FOUND before registration, prune up to the ack, return everything unacked and otherwise hold briefly.
/// Every request is recorded; <see cref="Intercept"/> scripts heartbeat failures.
/// </summary>
internal sealed class ScriptedV2Service : ProtoV2.ExecutorAPI.ExecutorAPIBase
{
    private readonly Lock _gate = new();
    private readonly List<ProtoV2.HeartbeatRequest> _heartbeats = [];
    private readonly List<ProtoV2.PollCommandsRequest> _commandPolls = [];
    private readonly List<ProtoV2.PollAllocationResultsRequest> _resultPolls = [];
    private readonly List<ProtoV2.Command> _commands = [];
    private readonly List<ProtoV2.SequencedAllocationResult> _results = [];
    private ulong _nextCommandSeq = 1;
    private ulong _nextResultSeq = 1;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public volatile bool Enabled = true;

    public bool Registered { get; private set; }

    /// <summary>The next non-full_state heartbeat is answered send_state=true (ack regression, or a Server that forgot us).</summary>
    public bool AskForState { get; set; }

    /// <summary>How long a poll with nothing to return is held.</summary>
    public TimeSpan Hold { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Returns an exception to fail a heartbeat with, or null to process it.</summary>
    public Func<ProtoV2.HeartbeatRequest, RpcException?>? Intercept { get; set; }

    public IReadOnlyList<ProtoV2.HeartbeatRequest> Heartbeats => Snapshot(_heartbeats);

    public IReadOnlyList<ProtoV2.PollCommandsRequest> CommandPolls => Snapshot(_commandPolls);

    public IReadOnlyList<ProtoV2.PollAllocationResultsRequest> ResultPolls => Snapshot(_resultPolls);

    /// <summary>Queues commands under the next seq numbers (their Seq fields are overwritten).</summary>
    public void Send(params ProtoV2.Command[] commands)
    {
        lock (_gate)
        {
            foreach (var command in commands)
            {
                command.Seq = _nextCommandSeq++;
                _commands.Add(command);
            }
        }

        WakePolls();
    }

    /// <summary>Queues commands with the seq numbers they carry (to script gaps).</summary>
    public void SendAsNumbered(params ProtoV2.Command[] commands)
    {
        lock (_gate)
        {
            _commands.AddRange(commands);
            _nextCommandSeq = Math.Max(_nextCommandSeq, commands.Max(c => c.Seq) + 1);
        }

        WakePolls();
    }

    public void SendResult(ProtoV2.SequencedAllocationResult result)
    {
        lock (_gate)
        {
            result.Seq = _nextResultSeq++;
            _results.Add(result);
        }

        WakePolls();
    }

    /// <summary>The executor lapsed or was deregistered: unknown again, nothing pending.</summary>
    public void Forget()
    {
        lock (_gate)
        {
            Registered = false;
            _commands.Clear();
            _results.Clear();
        }

        WakePolls();
    }

    public void WakePolls()
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    public override Task<ProtoV2.HeartbeatResponse> heartbeat(ProtoV2.HeartbeatRequest request, ServerCallContext context)
    {
        ThrowIfDisabled();
        lock (_gate)
        {
            _heartbeats.Add(request.Clone());
        }

        if (Intercept?.Invoke(request) is { } failure)
        {
            throw failure;
        }

        lock (_gate)
        {
            if (request.FullState is not null)
            {
                Registered = true;
                _commands.Clear();
                _results.Clear();
                _nextCommandSeq = 1;
                _nextResultSeq = 1;
                return Task.FromResult(new ProtoV2.HeartbeatResponse { SendState = false });
            }

            if (!Registered || AskForState)
            {
                AskForState = false;
                return Task.FromResult(new ProtoV2.HeartbeatResponse { SendState = true });
            }

            if (request.Status == ProtoV2.ExecutorStatus.Stopped)
            {
                Registered = false;
            }

            return Task.FromResult(new ProtoV2.HeartbeatResponse { SendState = false });
        }
    }

    public override async Task<ProtoV2.PollCommandsResponse> poll_commands(ProtoV2.PollCommandsRequest request, ServerCallContext context)
    {
        ThrowIfDisabled();
        lock (_gate)
        {
            _commandPolls.Add(request.Clone());
        }

        var response = new ProtoV2.PollCommandsResponse();
        await HoldAsync(
            () =>
            {
                if (request.HasAckedCommandSeq)
                {
                    _commands.RemoveAll(c => c.Seq <= request.AckedCommandSeq);
                }

                response.Commands.AddRange(_commands);
                return _commands.Count > 0;
            },
            context.CancellationToken);
        return response;
    }

    public override async Task<ProtoV2.PollAllocationResultsResponse> poll_allocation_results(ProtoV2.PollAllocationResultsRequest request, ServerCallContext context)
    {
        ThrowIfDisabled();
        lock (_gate)
        {
            _resultPolls.Add(request.Clone());
        }

        var response = new ProtoV2.PollAllocationResultsResponse();
        await HoldAsync(
            () =>
            {
                if (request.HasAckedResultSeq)
                {
                    _results.RemoveAll(r => r.Seq <= request.AckedResultSeq);
                }

                response.Results.AddRange(_results);
                return _results.Count > 0;
            },
            context.CancellationToken);
        return response;
    }

    /// <summary>Answers at once when <paramref name="collect"/> finds something, else after a change or the hold.</summary>
    private async Task HoldAsync(Func<bool> collect, CancellationToken cancellationToken)
    {
        Task changed;
        lock (_gate)
        {
            if (!Registered)
            {
                throw new RpcException(new Status(StatusCode.NotFound, "executor not registered"));
            }

            if (collect())
            {
                return;
            }

            changed = _changed.Task;
        }

        try
        {
            await changed.WaitAsync(Hold, cancellationToken);
        }
        catch (TimeoutException)
        {
            return;
        }

        lock (_gate)
        {
            if (!Registered)
            {
                throw new RpcException(new Status(StatusCode.NotFound, "executor not registered"));
            }

            collect();
        }
    }

    private IReadOnlyList<T> Snapshot<T>(List<T> list)
    {
        lock (_gate)
        {
            return [.. list];
        }
    }

    private void ThrowIfDisabled()
    {
        if (!Enabled)
        {
            throw new RpcException(new Status(StatusCode.Unimplemented, string.Empty));
        }
    }
}

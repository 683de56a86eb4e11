using FakeIndexifyServer.Model;
using Google.Protobuf;
using Grpc.Core;
using V2 = Executor.Protocol.ServerV2;

namespace FakeIndexifyServer;

/// <summary>
/// v2 long polls: poll_commands and poll_allocation_results acknowledge, prune, and return every unacknowledged
/// item (up to the byte cap), or hold until something arrives or the hold time ends.
/// </summary>
public sealed partial class FakeServer
{
    private readonly List<ReceivedPoll> _polls = [];
    private int _commandPollCount;

    /// <summary>
    /// poll_commands calls received since start, answered, held or refused: v2's counterpart of
    /// <see cref="StreamOpenCount"/> (<see cref="Polls"/> records a held poll only once it is answered).
    /// </summary>
    public int CommandPollCount => Read(() => _commandPollCount);

    internal async Task<V2.PollCommandsResponse> HandlePollCommandsAsync(V2.PollCommandsRequest request, ServerCallContext context)
    {
        var response = new V2.PollCommandsResponse();
        var ack = request.HasAckedCommandSeq ? request.AckedCommandSeq : (ulong?)null;
        response.Commands.AddRange(await PollAsync(PollKind.Commands, request.ExecutorId, ack, executor => executor.Commands, context).ConfigureAwait(false));
        return response;
    }

    internal async Task<V2.PollAllocationResultsResponse> HandlePollResultsAsync(V2.PollAllocationResultsRequest request, ServerCallContext context)
    {
        var response = new V2.PollAllocationResultsResponse();
        var ack = request.HasAckedResultSeq ? request.AckedResultSeq : (ulong?)null;
        response.Results.AddRange(await PollAsync(PollKind.Results, request.ExecutorId, ack, executor => executor.Results, context).ConfigureAwait(false));
        return response;
    }

    private async Task<List<T>> PollAsync<T>(PollKind kind, string executorId, ulong? ack, Func<ExecutorRecord, SequencedOutbox<T>> outboxOf, ServerCallContext context)
        where T : IMessage
    {
        var receivedAt = _time.GetUtcNow();
        PollStart<T> start;
        lock (_gate)
        {
            start = StartPoll(kind, executorId, ack, outboxOf, receivedAt);
        }

        _changes.Pulse(); // tests may wait for a poll to be answered, refused or held
        if (start.Outbox is not { } outbox || start.Held is not { } held)
        {
            return start.Ready?.Select(r => r.Item).ToList() ?? throw new RpcException(new Status(StatusCode.NotFound, "executor not registered"));
        }

        var ending = await WaitAsync(held, start.Hold, context.CancellationToken).ConfigureAwait(false);
        List<(ulong Seq, T Item)> items = [];
        lock (_gate)
        {
            outbox.Release(held);

            // A reset (full_state, deregistration) while held answers empty: the new numbering is for new polls.
            if (ending is null && outbox.Generation == start.Generation)
            {
                items = outbox.Take(_options.MaxPollResponseBytes);
            }

            RecordPoll(receivedAt, executorId, kind, ack, ending?.Code ?? StatusCode.OK, ending?.Detail ?? string.Empty, wasHeld: true, items);
        }

        _changes.Pulse();
        if (ending is { AbortTransport: true })
        {
            Hosting.ConnectionDropper.DropConnection(context);
            return [];
        }

        if (ending is { } ended && ended.Code != StatusCode.OK)
        {
            throw new RpcException(new Status(ended.Code, ended.Detail));
        }

        return items.Select(i => i.Item).ToList();
    }

    /// <summary>Acknowledges and answers at once when it can; otherwise holds the poll. Called under the lock.</summary>
    private PollStart<T> StartPoll<T>(PollKind kind, string executorId, ulong? ack, Func<ExecutorRecord, SequencedOutbox<T>> outboxOf, DateTimeOffset receivedAt)
        where T : IMessage
    {
        if (kind == PollKind.Commands)
        {
            _commandPollCount++;
        }

        if (!_executors.TryGetValue(executorId, out var executor) || !executor.IsRegistered)
        {
            RecordPoll<T>(receivedAt, executorId, kind, ack, StatusCode.NotFound, "executor not registered", wasHeld: false, []);
            return default;
        }

        executor.Deadline = receivedAt + _livenessTimeout; // at arrival only: a held poll does not keep the executor alive
        var outbox = outboxOf(executor);
        if (kind == PollKind.Commands)
        {
            // A missing ack counts as 0; going below the kept maximum makes the next heartbeat ask for the full state.
            executor.AckRegressed |= outbox.AcknowledgeKeepingMax(ack ?? 0);
        }
        else if (ack is { } acked)
        {
            outbox.AcknowledgeUpTo(acked);
        }

        var ready = outbox.Take(_options.MaxPollResponseBytes);
        if (ready.Count > 0 || outbox.TryConsumeStoredWakeUp())
        {
            RecordPoll(receivedAt, executorId, kind, ack, StatusCode.OK, string.Empty, wasHeld: false, ready);
            return new PollStart<T>(ready, null, null, 0, TimeSpan.Zero);
        }

        return new PollStart<T>(null, outbox, outbox.Hold(), outbox.Generation, _pollHoldTimeout);
    }

    /// <summary>Null when woken or when the hold ran out; otherwise how the poll was ended (or that the client left).</summary>
    private async Task<StreamEnding?> WaitAsync(HeldPoll held, TimeSpan hold, CancellationToken clientGone)
    {
        using var stopTimer = CancellationTokenSource.CreateLinkedTokenSource(clientGone);
        var timer = Task.Delay(hold, _time, stopTimer.Token);
        var first = await Task.WhenAny(held.Done, timer).ConfigureAwait(false);
        await stopTimer.CancelAsync().ConfigureAwait(false);
        if (first == held.Done)
        {
            return await held.Done.ConfigureAwait(false);
        }

        return clientGone.IsCancellationRequested ? StreamEnding.WithStatus(StatusCode.Cancelled, "client cancelled the poll") : null;
    }

    private void RecordPoll<T>(DateTimeOffset receivedAt, string executorId, PollKind kind, ulong? ack, StatusCode status, string detail, bool wasHeld, List<(ulong Seq, T Item)> delivered) =>
        _polls.Add(new ReceivedPoll(NextSequence(), receivedAt, _time.GetUtcNow(), executorId, kind, ack, status, detail, wasHeld, delivered.Select(d => d.Seq).ToArray()));

    /// <summary>How a poll began: answered (Ready), refused (all empty), or held on an outbox.</summary>
    private readonly record struct PollStart<T>(List<(ulong Seq, T Item)>? Ready, SequencedOutbox<T>? Outbox, HeldPoll? Held, int Generation, TimeSpan Hold)
        where T : IMessage;
}

using Executor.Protocol.ServerV1;
using FakeIndexifyServer.Model;
using Grpc.Core;

namespace FakeIndexifyServer;

/// <summary>get_desired_executor_states: per-stream latest-value-wins delivery of full snapshots.</summary>
public sealed partial class FakeServer
{
    private readonly List<StreamEvent> _streamEvents = [];
    private readonly List<SentSnapshot> _sentSnapshots = [];
    private int _streamOpenCount;

    internal async Task HandleStreamAsync(GetDesiredExecutorStatesRequest request, IServerStreamWriter<DesiredExecutorState> writer, ServerCallContext context)
    {
        StreamSubscription? subscription = null;
        RpcException? rejection = null;
        TimeSpan firstSnapshotDelay;
        lock (_gate)
        {
            firstSnapshotDelay = _firstSnapshotDelay;
            if (!request.HasExecutorId)
            {
                rejection = new RpcException(new Status(StatusCode.InvalidArgument, "executor_id is required"));
            }
            else if (!_executors.TryGetValue(request.ExecutorId, out var executor) || !executor.IsRegistered)
            {
                rejection = new RpcException(new Status(StatusCode.NotFound, "executor not found, or not yet registered"));
            }
            else
            {
                subscription = new StreamSubscription(++_streamIds, executor);
                executor.Streams.Add(subscription);
                _streamOpenCount++;

                // Every (re)opened stream starts with the complete current snapshot.
                subscription.Offer(BuildSnapshot(executor));
            }

            var executorId = request.HasExecutorId ? request.ExecutorId : null;
            _streamEvents.Add(rejection is null
                ? new StreamEvent(NextSequence(), _time.GetUtcNow(), executorId, subscription!.StreamId, StreamEventKind.Opened, StatusCode.OK, string.Empty, 0)
                : new StreamEvent(NextSequence(), _time.GetUtcNow(), executorId, 0, StreamEventKind.Rejected, rejection.StatusCode, rejection.Status.Detail, 0));
        }

        _changes.Pulse();
        if (rejection is not null)
        {
            throw rejection;
        }

        var ending = await PumpAsync(subscription!, writer, firstSnapshotDelay, context.CancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            subscription!.Executor.Streams.Remove(subscription);
            _streamEvents.Add(new StreamEvent(
                NextSequence(), _time.GetUtcNow(), subscription.ExecutorId, subscription.StreamId, StreamEventKind.Closed, ending.Code, ending.Detail, subscription.MessagesSent));
        }

        _changes.Pulse();
        if (ending.AbortTransport)
        {
            Hosting.ConnectionDropper.DropConnection(context);
            return;
        }

        if (ending.Code != StatusCode.OK)
        {
            throw new RpcException(new Status(ending.Code, ending.Detail));
        }
    }

    /// <summary>Writes whatever is newest in the stream's slot until the stream is ended or the client goes away.</summary>
    private async Task<StreamEnding> PumpAsync(StreamSubscription subscription, IServerStreamWriter<DesiredExecutorState> writer, TimeSpan firstSnapshotDelay, CancellationToken cancellationToken)
    {
        try
        {
            if (firstSnapshotDelay > TimeSpan.Zero)
            {
                await Task.Delay(firstSnapshotDelay, _time, cancellationToken).ConfigureAwait(false);
            }

            while (await subscription.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (subscription.Ending is { } early && (early.AbortTransport || early.Code != StatusCode.OK))
                {
                    return early; // Broken streams do not flush what is left.
                }

                if (!subscription.Reader.TryRead(out var snapshot))
                {
                    continue;
                }

                await writer.WriteAsync(snapshot, cancellationToken).ConfigureAwait(false);
                lock (_gate)
                {
                    subscription.MessagesSent++;
                    if (_options.KeepSentSnapshots)
                    {
                        _sentSnapshots.Add(new SentSnapshot(NextSequence(), _time.GetUtcNow(), subscription.ExecutorId, subscription.StreamId, snapshot));
                    }
                }

                _changes.Pulse();
            }

            return subscription.Ending ?? StreamEnding.Ok;
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
        {
            // The client went away or the listener stopped; nobody is left to read a status.
            return StreamEnding.WithStatus(StatusCode.Cancelled, "stream cancelled: " + ex.GetType().Name);
        }
    }

    /// <summary>Ends every open stream (v2: held poll) of an executor with <paramref name="code"/> (OK = normal end, an empty poll answer).</summary>
    public void EndStreams(string executorId, StatusCode code = StatusCode.OK, string detail = "")
    {
        lock (_gate)
        {
            if (_executors.TryGetValue(executorId, out var executor))
            {
                EndStreams(executor, code == StatusCode.OK ? StreamEnding.Ok : StreamEnding.WithStatus(code, detail));
            }
        }
    }

    /// <summary>
    /// Breaks the executor's open streams (v2: held polls) at the transport level: their TCP connections are dropped (so any other
    /// call on the same connection breaks too), and the client sees UNAVAILABLE, as when a server dies.
    /// </summary>
    public void AbortStreams(string executorId)
    {
        lock (_gate)
        {
            if (_executors.TryGetValue(executorId, out var executor))
            {
                EndStreams(executor, StreamEnding.Abort);
            }
        }
    }

    /// <summary>Ends v1 streams and v2 held polls alike (a held poll ended with OK answers an empty list).</summary>
    private static void EndStreams(ExecutorRecord executor, StreamEnding ending)
    {
        foreach (var stream in executor.Streams)
        {
            stream.End(ending);
        }

        executor.Commands.EndHeld(ending);
        executor.Results.EndHeld(ending);
    }
}

using System.Threading.Channels;
using Executor.Protocol.ServerV1;
using Grpc.Core;

namespace FakeIndexifyServer.Tests.Infrastructure;

/// <summary>
/// Client side of get_desired_executor_states: a background pump puts every message in a queue and records
/// how the stream ended (OK or the error status), so tests can await both with deadlines.
/// </summary>
internal sealed class DesiredStateStream : IAsyncDisposable
{
    private readonly AsyncServerStreamingCall<DesiredExecutorState> _call;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<DesiredExecutorState> _messages = Channel.CreateUnbounded<DesiredExecutorState>();
    private readonly Task<Status> _ended;

    private DesiredStateStream(AsyncServerStreamingCall<DesiredExecutorState> call)
    {
        _call = call;
        _ended = PumpAsync();
    }

    public static DesiredStateStream Open(ExecutorAPI.ExecutorAPIClient client, GetDesiredExecutorStatesRequest request) =>
        new(client.get_desired_executor_states(request));

    public async Task<DesiredExecutorState> NextAsync(TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? Harness.Patience);
        try
        {
            return await _messages.Reader.ReadAsync(deadline.Token);
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"The stream ended ({await _ended}) before another message arrived.");
        }
    }

    /// <summary>Skips messages until one matches.</summary>
    public async Task<DesiredExecutorState> NextMatchingAsync(Func<DesiredExecutorState, bool> predicate, TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? Harness.Patience);
        while (true)
        {
            var message = await NextAsync(timeout);
            if (predicate(message))
            {
                return message;
            }

            deadline.Token.ThrowIfCancellationRequested();
        }
    }

    /// <summary>How the stream ended: OK for a normal end, otherwise the error status.</summary>
    public Task<Status> EndedAsync(TimeSpan? timeout = null) => _ended.WaitAsync(timeout ?? Harness.Patience);

    /// <summary>Messages received but not yet taken with <see cref="NextAsync"/>.</summary>
    public List<DesiredExecutorState> Drain()
    {
        var drained = new List<DesiredExecutorState>();
        while (_messages.Reader.TryRead(out var message))
        {
            drained.Add(message);
        }

        return drained;
    }

    private async Task<Status> PumpAsync()
    {
        try
        {
            while (await _call.ResponseStream.MoveNext(_stop.Token))
            {
                await _messages.Writer.WriteAsync(_call.ResponseStream.Current);
            }

            return Status.DefaultSuccess;
        }
        catch (RpcException ex)
        {
            return ex.Status;
        }
        finally
        {
            _messages.Writer.TryComplete();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _ended.WaitAsync(Harness.Patience);
        }
        catch (TimeoutException)
        {
            // Disposal must not hang a test.
        }

        _call.Dispose();
        _stop.Dispose();
    }
}

using Executor.Model;
using Executor.Server;

namespace Executor.Tests.Unit.V2.Infrastructure;

/// <summary>Reads a connection's desired states in the background, like the DesiredStatePump, and records how the read ended.</summary>
internal sealed class SnapshotReader : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly List<DesiredState> _received = [];
    private readonly Task _loop;

    private SnapshotReader(IServerConnection connection, string executorId)
    {
        _loop = Task.Run(async () =>
        {
            try
            {
                await foreach (var state in connection.ReadDesiredStatesAsync(executorId, TimeSpan.FromMinutes(5), _stop.Token))
                {
                    lock (_gate)
                    {
                        _received.Add(state);
                    }
                }
            }
            catch (Exception ex) when (!_stop.IsCancellationRequested)
            {
                Error = ex;
            }
            catch (OperationCanceledException)
            {
                // Stopped by the test.
            }
        });
    }

    public DesiredState? Latest
    {
        get
        {
            lock (_gate)
            {
                return _received.Count == 0 ? null : _received[^1];
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _received.Count;
            }
        }
    }

    public bool Ended => _loop.IsCompleted;

    public Exception? Error { get; private set; }

    public static SnapshotReader Start(IServerConnection connection, string executorId = "exec-1") => new(connection, executorId);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}

using System.Net;
using System.Net.Sockets;

namespace Executor.FunctionExecutors.Processes;

/// <summary>Waits until the process listens on a loopback port, the process exits, another process turns out to hold the port, or time runs out.</summary>
internal static class PortProbe
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(5);
    // A connect attempt on loopback costs microseconds: poll often so FE start overhead stays a few ms.
    private static readonly TimeSpan MaxDelay = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(1);

    public enum Outcome
    {
        Listening,
        Exited,
        TimedOut,

        /// <summary>The port answers, but the listener is another process's (the FE will fail to bind it).</summary>
        PortTaken,
    }

    public static async Task<Outcome> WaitAsync(int port, int processId, bool ownsGroup, Task processExited, TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var start = timeProvider.GetTimestamp();
        var delay = FirstDelay;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (processExited.IsCompleted)
            {
                return Outcome.Exited;
            }

            var remaining = timeout - timeProvider.GetElapsedTime(start);
            if (remaining <= TimeSpan.Zero)
            {
                return Outcome.TimedOut;
            }

            if (await TryConnectAsync(port, Min(remaining, ConnectTimeout), timeProvider, cancellationToken).ConfigureAwait(false))
            {
                // Someone else may hold the port (the race); an FE that died meanwhile did not open it.
                if (processExited.IsCompleted)
                {
                    return Outcome.Exited;
                }

                return LoopbackListenerOwner.Check(port, processId, ownsGroup) == LoopbackListenerOwner.Verdict.Foreign
                    ? Outcome.PortTaken
                    : Outcome.Listening;
            }

            remaining = timeout - timeProvider.GetElapsedTime(start);
            if (remaining > TimeSpan.Zero)
            {
                // Wake early when the process dies, so a crash is reported without waiting out the backoff.
                var sleep = Task.Delay(Min(delay, remaining), timeProvider, cancellationToken);
                await Task.WhenAny(sleep, processExited).ConfigureAwait(false);
            }

            delay = Min(delay * 2, MaxDelay);
        }
    }

    private static async Task<bool> TryConnectAsync(int port, TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(timeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), linked.Token).ConfigureAwait(false);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}

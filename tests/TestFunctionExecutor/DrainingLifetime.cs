using System.Runtime.InteropServices;

namespace TestFunctionExecutor;

/// <summary>
/// 0.1.3 SIGTERM/SIGINT handling, as the real FE G2: arm a 4 s hard exit (code 1), drain (see
/// <see cref="FunctionExecutorHost.ShutdownAllocationsAsync"/>) while the server still serves every
/// RPC, then stop the server (1 s grace) and exit 0. Replaces the console lifetime, which would stop
/// the server at once.
/// </summary>
internal sealed class DrainingLifetime(FunctionExecutorHost host, IHostApplicationLifetime lifetime) : IHostLifetime, IDisposable
{
    private static readonly TimeSpan HardExitAfter = TimeSpan.FromSeconds(4);

    private readonly List<PosixSignalRegistration> _registrations = [];
    private Timer? _hardExit;
    private int _signalled;

    public Task WaitForStartAsync(CancellationToken cancellationToken)
    {
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal));
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _hardExit?.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        if (Interlocked.Exchange(ref _signalled, 1) == 0)
        {
            _ = Task.Run(() => DrainAsync(context.Signal));
        }
    }

    private async Task DrainAsync(PosixSignal signal)
    {
        _hardExit = new Timer(_ => ProcessExit.Exit(1, $"shutdown did not finish within {HardExitAfter.TotalSeconds:0} s"), null, HardExitAfter, Timeout.InfiniteTimeSpan);
        FeLog.Info($"{signal}: stopping admission and draining terminal execution batches");
        try
        {
            await host.ShutdownAllocationsAsync().ConfigureAwait(false);
        }
        finally
        {
            lifetime.StopApplication();
        }
    }
}

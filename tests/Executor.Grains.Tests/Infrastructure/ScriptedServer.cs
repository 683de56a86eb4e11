using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Executor.Model;
using Executor.Server;

namespace Executor.Grains.Tests.Infrastructure;

/// <summary>
/// The Server as the grains see it (<see cref="IServerConnection"/>), in memory: records every report attempt and its
/// outcome, accepts reports unless told to fail or hold them, feeds the desired-state stream from <see cref="Push"/>,
/// and records (and can hold or fail) call_function requests.
/// </summary>
public sealed class ScriptedServer : IServerConnection
{
    private readonly Lock _gate = new();
    private readonly List<ReportAttempt> _attempts = [];
    private readonly Queue<Func<Exception>> _failures = new();
    private readonly List<FunctionCallRequestSpec> _calls = [];
    private readonly Channel<DesiredState> _desired = Channel.CreateUnbounded<DesiredState>();
    private Func<Exception>? _failAll;
    private Func<ExecutorReport, bool>? _failWhen;
    private TaskCompletionSource? _hold;
    private TaskCompletionSource? _holdCalls;
    private Func<Exception>? _callFailure;
    private int _recycles;

    /// <summary>Every report the executor attempted, in order.</summary>
    public IReadOnlyList<ReportAttempt> Attempts
    {
        get
        {
            lock (_gate)
            {
                return [.. _attempts];
            }
        }
    }

    /// <summary>The reports the Server accepted, in order.</summary>
    public IReadOnlyList<ExecutorReport> Accepted => [.. Attempts.Where(a => a.Accepted).Select(a => a.Report)];

    public IReadOnlyList<FunctionCallRequestSpec> FunctionCalls
    {
        get
        {
            lock (_gate)
            {
                return [.. _calls];
            }
        }
    }

    public int ChannelRecycles => Volatile.Read(ref _recycles);

    /// <summary>The next <paramref name="count"/> reports fail with what <paramref name="failure"/> makes.</summary>
    public void FailNextReports(int count, Func<Exception> failure)
    {
        lock (_gate)
        {
            for (var i = 0; i < count; i++)
            {
                _failures.Enqueue(failure);
            }
        }
    }

    /// <summary>
    /// Every report (or every one <paramref name="when"/> picks) fails with what <paramref name="failure"/> makes until
    /// <see cref="StopFailingReports"/>.
    /// </summary>
    public void FailAllReports(Func<Exception> failure, Func<ExecutorReport, bool>? when = null)
    {
        lock (_gate)
        {
            _failAll = failure;
            _failWhen = when;
        }
    }

    public void StopFailingReports()
    {
        lock (_gate)
        {
            _failAll = null;
            _failWhen = null;
            _failures.Clear();
        }
    }

    /// <summary>Reports wait (in flight, already recorded) until <see cref="ReleaseReports"/>.</summary>
    public void HoldReports()
    {
        lock (_gate)
        {
            _hold ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public void ReleaseReports()
    {
        TaskCompletionSource? hold;
        lock (_gate)
        {
            hold = _hold;
            _hold = null;
        }

        hold?.TrySetResult();
    }

    /// <summary>call_function requests wait (already recorded) until <see cref="ReleaseFunctionCalls"/>.</summary>
    public void HoldFunctionCalls()
    {
        lock (_gate)
        {
            _holdCalls ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public void ReleaseFunctionCalls()
    {
        TaskCompletionSource? hold;
        lock (_gate)
        {
            hold = _holdCalls;
            _holdCalls = null;
        }

        hold?.TrySetResult();
    }

    /// <summary>Every call_function request fails with what <paramref name="failure"/> makes.</summary>
    public void FailFunctionCalls(Func<Exception> failure)
    {
        lock (_gate)
        {
            _callFailure = failure;
        }
    }

    /// <summary>Sends a snapshot down the desired-state stream (the pump applies the latest one).</summary>
    public void Push(DesiredState state) => _desired.Writer.TryWrite(state);

    public async Task<ReportReceipt> ReportAsync(ExecutorReport report, CancellationToken cancellationToken)
    {
        Task? hold;
        Exception? failure;
        int index;
        lock (_gate)
        {
            failure = _failAll is not null && (_failWhen?.Invoke(report) ?? true)
                ? _failAll()
                : _failures.TryDequeue(out var next) ? next() : null;
            index = _attempts.Count;
            _attempts.Add(new ReportAttempt(index, report, failure is null));
            hold = _hold?.Task;
        }

        if (hold is not null)
        {
            try
            {
                await hold.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The executor gave up on it (its report deadline): not accepted after all.
                lock (_gate)
                {
                    _attempts[index] = _attempts[index] with { Accepted = false };
                }

                throw;
            }
        }

        if (failure is not null)
        {
            throw failure;
        }

        return new ReportReceipt([.. report.Results.Select(r => r.AllocationId)], ResultsLeftOver: false, MessageBytes: 0);
    }

    public async IAsyncEnumerable<DesiredState> ReadDesiredStatesAsync(string executorId, TimeSpan idleTimeout, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await _desired.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (_desired.Reader.TryRead(out var state))
            {
                yield return state;
            }
        }
    }

    public async Task CallFunctionAsync(FunctionCallRequestSpec request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Task? hold;
        Func<Exception>? failure;
        lock (_gate)
        {
            _calls.Add(request);
            hold = _holdCalls?.Task;
            failure = _callFailure;
        }

        if (hold is not null)
        {
            await hold.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        if (failure is not null)
        {
            throw failure();
        }
    }

    public void RecycleChannel() => Interlocked.Increment(ref _recycles);

    public string? DescribeLastReport(bool json) => null;

    public string? DescribeLastDesiredState(bool json) => null;
}

using Executor.Protocol.ServerV1;
using FakeIndexifyServer.Model;

namespace FakeIndexifyServer;

/// <summary>What tests can ask the fake: request logs, accepted results, executor views, and awaitable conditions.</summary>
public sealed partial class FakeServer
{
    /// <summary>Default patience of the Wait* methods: generous, because waits normally end in milliseconds.</summary>
    public static readonly TimeSpan DefaultWaitTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Sequence number of the latest logged event; pass it as afterSequence to wait only for newer ones.</summary>
    public long LastSequence => Read(() => _sequence);

    public IReadOnlyList<ReceivedReport> Reports => Read(() => _reports.ToArray());

    public IReadOnlyList<ReceivedFunctionCall> FunctionCallRequests => Read(() => _functionCallRequests.ToArray());

    public IReadOnlyList<StreamEvent> StreamEvents => Read(() => _streamEvents.ToArray());

    public IReadOnlyList<SentSnapshot> SentSnapshots => Read(() => _sentSnapshots.ToArray());

    public IReadOnlyList<ServerAllocationFailure> ServerFailures => Read(() => _serverFailures.ToArray());

    public IReadOnlyList<Deregistration> Deregistrations => Read(() => _deregistrations.ToArray());

    /// <summary>FEs the server removed (or refused to adopt) that the executor has since confirmed gone.</summary>
    public IReadOnlyList<string> ConfirmedGoneFunctionExecutorIds => Read(() => _confirmedGoneFunctionExecutors.ToArray());

    /// <summary>Untracked FEs the fake adopted from reports.</summary>
    public IReadOnlyList<string> AdoptedFunctionExecutorIds => Read(() => _adoptedFunctionExecutors.ToArray());

    /// <summary>Every accepted result, once per allocation, keyed by allocation id.</summary>
    public IReadOnlyDictionary<string, AllocationResult> AcceptedResults => Read(() =>
        (IReadOnlyDictionary<string, AllocationResult>)_allocations.Values
            .Where(a => a.AcceptedResult is not null)
            .ToDictionary(a => a.Id, a => a.AcceptedResult!.Clone(), StringComparer.Ordinal));

    /// <summary>Reports that counted as state changes, over all executors and registrations.</summary>
    public int StateChangeReportCount => Read(() => _reports.Count(r => r.WasStateChange));

    /// <summary>Streams accepted since start.</summary>
    public int StreamOpenCount => Read(() => _streamOpenCount);

    public int OpenStreamCount => Read(() => _executors.Values.Sum(e => e.Streams.Count));

    public int RestartCount => Read(() => _restartCount);

    public IReadOnlyList<ExecutorView> Executors => Read(() => _executors.Values.Select(ViewOf).ToArray());

    public ExecutorView? GetExecutor(string executorId) =>
        Read(() => _executors.TryGetValue(executorId, out var executor) ? ViewOf(executor) : null);

    /// <summary>The snapshot the executor would get if it opened a stream now; null when it is not registered.</summary>
    public DesiredExecutorState? GetDesiredState(string executorId) =>
        Read(() => _executors.TryGetValue(executorId, out var executor) && executor.IsRegistered ? BuildSnapshot(executor) : null);

    public AllocationResult? GetAcceptedResult(string allocationId) =>
        Read(() => _allocations.TryGetValue(allocationId, out var allocation) ? allocation.AcceptedResult?.Clone() : null);

    public AllocationReportStats GetReportStats(string allocationId) => Read(() =>
    {
        var counter = _reportCounters.GetValueOrDefault(allocationId) ?? new AllocationReportCounter();
        var accepted = _allocations.TryGetValue(allocationId, out var allocation) ? allocation.AcceptedResult?.Clone() : null;
        return new AllocationReportStats(allocationId, counter.Total, counter.InRejectedReports, counter.Duplicates, accepted);
    });

    /// <summary>Waits until <paramref name="probe"/> returns non-null; it is re-evaluated (under the lock) on every change.</summary>
    public async Task<T> WaitForAsync<T>(Func<FakeServer, T?> probe, TimeSpan? timeout = null, string? because = null)
        where T : class
    {
        var limit = timeout ?? DefaultWaitTimeout;
        using var giveUp = new CancellationTokenSource();
        var timedOut = Task.Delay(limit, giveUp.Token); // One timer for the whole wait, cancelled on return.
        try
        {
            while (true)
            {
                var nextChange = _changes.NextChange; // Taken before probing, so no change slips between probe and wait.
                var value = Read(() => probe(this));
                if (value is not null)
                {
                    return value;
                }

                if (await Task.WhenAny(nextChange, timedOut).ConfigureAwait(false) == timedOut)
                {
                    value = Read(() => probe(this));
                    return value ?? throw new TimeoutException(
                        $"Fake server: condition not met within {limit.TotalSeconds:0.#} s: {because ?? "(no description)"}. {Describe()}");
                }
            }
        }
        finally
        {
            await giveUp.CancelAsync().ConfigureAwait(false);
        }
    }

    public Task WaitUntilAsync(Func<FakeServer, bool> condition, TimeSpan? timeout = null, string? because = null) =>
        WaitForAsync(server => condition(server) ? this : null, timeout, because);

    /// <summary>The first report after <paramref name="afterSequence"/> (past ones included) matching <paramref name="predicate"/>.</summary>
    public Task<ReceivedReport> WaitForReportAsync(Func<ReceivedReport, bool> predicate, TimeSpan? timeout = null, long afterSequence = 0) =>
        WaitForAsync(_ => _reports.FirstOrDefault(r => r.Sequence > afterSequence && predicate(r)), timeout, "a matching report");

    /// <summary>The first accepted report after <paramref name="afterSequence"/> that lists the FE with <paramref name="status"/>.</summary>
    public Task<ReceivedReport> WaitForFunctionExecutorStatusAsync(string functionExecutorId, FunctionExecutorStatus status, TimeSpan? timeout = null, long afterSequence = 0) =>
        WaitForAsync(
            _ => _reports.FirstOrDefault(r => r.Sequence > afterSequence && r.Succeeded && r.FunctionExecutorStates.Any(s => s.Description?.Id == functionExecutorId && s.Status == status)),
            timeout,
            $"function executor {functionExecutorId} reported {status}");

    /// <summary>The FE's state in the last accepted report that listed it.</summary>
    public FunctionExecutorState? LastReportedStateOf(string functionExecutorId) =>
        Read(() => _reports.Where(r => r.Succeeded).SelectMany(r => r.FunctionExecutorStates).LastOrDefault(s => s.Description?.Id == functionExecutorId));

    /// <summary>The accepted result of an allocation.</summary>
    public Task<AllocationResult> WaitForResultAsync(string allocationId, TimeSpan? timeout = null) =>
        WaitForAsync(server => server.GetAcceptedResult(allocationId), timeout, $"a result for allocation {allocationId}");

    /// <summary>The failure the server itself gave an allocation (executor removed, FE terminated, cancelled, orphaned).</summary>
    public Task<ServerAllocationFailure> WaitForServerFailureAsync(string allocationId, TimeSpan? timeout = null) =>
        WaitForAsync(_ => _serverFailures.FirstOrDefault(f => f.AllocationId == allocationId), timeout, $"a server-side failure of allocation {allocationId}");

    /// <summary>A registered executor: the given one, or (without an id) the first that registers.</summary>
    public Task<ExecutorView> WaitForRegisteredExecutorAsync(string? executorId = null, TimeSpan? timeout = null) =>
        WaitForAsync(
            _ => _executors.Values.Where(e => e.IsRegistered && (executorId is null || e.Id == executorId)).Select(ViewOf).FirstOrDefault(),
            timeout,
            $"executor {executorId ?? "(any)"} registered");

    public Task<Deregistration> WaitForDeregistrationAsync(string executorId, TimeSpan? timeout = null, long afterSequence = 0) =>
        WaitForAsync(_ => _deregistrations.FirstOrDefault(d => d.Sequence > afterSequence && d.ExecutorId == executorId), timeout, $"executor {executorId} deregistered");

    public Task<StreamEvent> WaitForStreamEventAsync(Func<StreamEvent, bool> predicate, TimeSpan? timeout = null, long afterSequence = 0) =>
        WaitForAsync(_ => _streamEvents.FirstOrDefault(e => e.Sequence > afterSequence && predicate(e)), timeout, "a matching stream event");

    /// <summary>The first snapshot written to one of the executor's streams after <paramref name="afterSequence"/> that matches.</summary>
    public Task<SentSnapshot> WaitForSentSnapshotAsync(string executorId, Func<DesiredExecutorState, bool> predicate, TimeSpan? timeout = null, long afterSequence = 0) =>
        WaitForAsync(_ => _sentSnapshots.FirstOrDefault(s => s.Sequence > afterSequence && s.ExecutorId == executorId && predicate(s.Snapshot)), timeout, $"a matching snapshot sent to {executorId}");

    public Task<ReceivedFunctionCall> WaitForFunctionCallRequestAsync(Func<ReceivedFunctionCall, bool> predicate, TimeSpan? timeout = null, long afterSequence = 0) =>
        WaitForAsync(_ => _functionCallRequests.FirstOrDefault(c => c.Sequence > afterSequence && predicate(c)), timeout, "a matching call_function request");

    /// <summary>FE removal confirmed by the executor (reported TERMINATED or no longer listed).</summary>
    public Task WaitForFunctionExecutorGoneAsync(string functionExecutorId, TimeSpan? timeout = null) =>
        WaitUntilAsync(_ => _confirmedGoneFunctionExecutors.Contains(functionExecutorId), timeout, $"function executor {functionExecutorId} confirmed gone");

    /// <summary>A one-line summary for failure messages.</summary>
    public string Describe() => Read(() =>
        $"clock={_clock} executors=[{string.Join(", ", _executors.Values.Select(e => $"{e.Id}:{(e.IsRegistered ? "registered" : e.IsTombstoned ? "tombstoned" : "unregistered")}/streams={e.Streams.Count}"))}] " +
        (_options.Protocol == ServerProtocol.V2 ? $"heartbeats={_heartbeats.Count} commands={_issuedCommands.Count} results={_issuedResults.Count} heldPolls={_executors.Values.Sum(e => e.Commands.HeldCount + e.Results.HeldCount)} " : string.Empty) +
        $"reports={_reports.Count} liveAllocations={_liveAllocations.Count} accepted={_allocations.Values.Count(a => a.AcceptedResult is not null)} serverFailures={_serverFailures.Count}");

    private T Read<T>(Func<T> read)
    {
        lock (_gate)
        {
            return read();
        }
    }

    private ExecutorView ViewOf(ExecutorRecord executor) => new(
        executor.Id,
        executor.IsRegistered,
        executor.IsTombstoned,
        executor.WrittenState?.Clone(),
        executor.RuntimeData?.StateHash,
        executor.RuntimeData?.ServerClock,
        executor.Deadline,
        executor.Watches.Select(w => w.Clone()).ToArray(),
        executor.ReportCount,
        executor.StateChangeReportCount,
        executor.RegistrationCount,
        executor.Streams.Count);
}

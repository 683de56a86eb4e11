using Executor.Protocol.ServerV1;
using FakeIndexifyServer.Faults;
using FakeIndexifyServer.Model;
using FakeIndexifyServer.Validation;
using Grpc.Core;

namespace FakeIndexifyServer;

/// <summary>report_executor_state: validation, registration, liveness, state-change detection and result ingestion.</summary>
public sealed partial class FakeServer
{
    private readonly List<ReceivedReport> _reports = [];
    private readonly Dictionary<string, AllocationReportCounter> _reportCounters = new(StringComparer.Ordinal);

    internal async Task<ReportExecutorStateResponse> HandleReportAsync(ReportExecutorStateRequest request, ServerCallContext context)
    {
        var receivedAt = _time.GetUtcNow();
        switch (_reportFaults.TakeNext())
        {
            case InjectedFault.Fail fail:
                RecordUnprocessedReport(request, receivedAt, fail.Code, fail.Detail);
                throw new RpcException(new Status(fail.Code, fail.Detail));
            case InjectedFault.DropConnection:
                RecordUnprocessedReport(request, receivedAt, StatusCode.Unavailable, "connection dropped by fault injection");
                Hosting.ConnectionDropper.DropConnection(context);
                return new ReportExecutorStateResponse();
            case InjectedFault.Delay delay:
                try
                {
                    await Task.Delay(delay.Duration, _time, context.CancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // The client gave up (deadline) before the delayed report was processed: nothing is applied.
                    RecordUnprocessedReport(request, receivedAt, StatusCode.Cancelled, "client cancelled during injected delay");
                    throw;
                }

                break;
        }

        ReceivedReport report;
        lock (_gate)
        {
            report = ProcessReport(request, receivedAt);
        }

        _changes.Pulse();
        if (report.ReplyStatus != StatusCode.OK)
        {
            Log.ReportRejected(_logger, report.ExecutorId, report.ReplyStatus, report.ReplyDetail);
            throw new RpcException(new Status(report.ReplyStatus, report.ReplyDetail));
        }

        return new ReportExecutorStateResponse();
    }

    private void RecordUnprocessedReport(ReportExecutorStateRequest request, DateTimeOffset receivedAt, StatusCode code, string detail)
    {
        lock (_gate)
        {
            RecordReport(request, receivedAt, code, detail, wasStateChange: false, [], [], []);
        }

        _changes.Pulse();
    }

    /// <summary>The server's steps 1-8, in order. Called under the lock.</summary>
    private ReceivedReport ProcessReport(ReportExecutorStateRequest request, DateTimeOffset receivedAt)
    {
        if (ReportValidator.FindError(request) is { } invalid)
        {
            return RecordReport(request, receivedAt, StatusCode.InvalidArgument, invalid, false, [], [], []);
        }

        var state = request.ExecutorState;
        var executor = GetOrCreateExecutor(state.ExecutorId);
        executor.ReportCount++;

        // Liveness is refreshed after validation, before results are parsed (even if they then fail).
        var isStopping = state.HasStatus && state.Status == ExecutorStatus.Stopped;
        executor.Deadline = isStopping ? receivedAt : receivedAt + _livenessTimeout;

        // The pair is stored before results are parsed: a failed report's retry is no longer a state change.
        var reportedPair = (state.StateHash, state.ServerClock);
        var isStateChange = !executor.IsRegistered || executor.RuntimeData != reportedPair;
        executor.RuntimeData = reportedPair;

        var results = request.ExecutorUpdate.AllocationResults;
        if (AllocationResultValidator.FindError(results) is { } malformed)
        {
            return RecordReport(request, receivedAt, StatusCode.Internal, malformed, false, [], [], []);
        }

        if (!isStateChange && results.Count == 0 && state.FunctionCallWatches.Count == 0)
        {
            // Nothing to persist: a plain heartbeat. The watch set and metadata stay as they were.
            if (isStopping)
            {
                Deregister(executor, DeregistrationCause.Stopped);
            }

            return RecordReport(request, receivedAt, StatusCode.OK, string.Empty, false, [], [], []);
        }

        WriteReport(executor, state, isStateChange);
        var accepted = new List<string>();
        var duplicates = new List<string>();
        var unknown = new List<string>();
        foreach (var result in results)
        {
            ApplyResult(result, accepted, duplicates, unknown);
        }

        // The write pushes a snapshot; the processor then places waiting work, which pushes again with the same clock.
        PublishChanges();
        PlaceQueuedAllocations();
        PublishChanges();

        if (isStopping)
        {
            Deregister(executor, DeregistrationCause.Stopped);
        }

        return RecordReport(request, receivedAt, StatusCode.OK, string.Empty, isStateChange, accepted, duplicates, unknown);
    }

    /// <summary>The atomic write: metadata replaced, registration, watches replaced, and FE reconciliation on a state change.</summary>
    private void WriteReport(ExecutorRecord executor, ExecutorState state, bool isStateChange)
    {
        var wasRegistered = executor.IsRegistered;
        if (isStateChange)
        {
            AdvanceClockForEvent();
            executor.StateChangeReportCount++;
        }

        executor.WrittenState = state.Clone();
        executor.Watches = state.FunctionCallWatches.Select(watch => watch.Clone()).ToList();
        if (!wasRegistered)
        {
            executor.IsRegistered = true;
            executor.IsTombstoned = false;
            executor.RegistrationCount++;
            Log.ExecutorRegistered(_logger, executor.Id, executor.RegistrationCount);
        }

        if (isStateChange)
        {
            // FE changes are handled before the results of the same report (the server's ordering hazard).
            ReconcileFunctionExecutors(executor, state.FunctionExecutorStates, isFirstProcessedRegistration: !wasRegistered);
        }
    }

    private void ApplyResult(AllocationResult result, List<string> accepted, List<string> duplicates, List<string> unknown)
    {
        if (!_allocations.TryGetValue(result.AllocationId, out var allocation) || !allocation.Matches(result))
        {
            unknown.Add(result.AllocationId);
            return;
        }

        AdvanceClockForEvent();
        if (!allocation.IsLive)
        {
            CounterFor(result.AllocationId).Duplicates++;
            duplicates.Add(result.AllocationId);
            return;
        }

        allocation.AcceptedResult = result.Clone();
        MarkTerminal(allocation, AllocationPhase.Completed);
        _functionCalls[CallKeyOf(allocation.Allocation)] = FunctionCallOutcome.FromResult(result);
        accepted.Add(result.AllocationId);
    }

    private ReceivedReport RecordReport(
        ReportExecutorStateRequest request,
        DateTimeOffset receivedAt,
        StatusCode status,
        string detail,
        bool wasStateChange,
        IReadOnlyList<string> accepted,
        IReadOnlyList<string> duplicates,
        IReadOnlyList<string> unknown)
    {
        foreach (var result in request.ExecutorUpdate?.AllocationResults ?? [])
        {
            var counter = CounterFor(result.AllocationId);
            counter.Total++;
            if (status != StatusCode.OK)
            {
                counter.InRejectedReports++;
            }
        }

        var report = new ReceivedReport(NextSequence(), receivedAt, request.Clone(), status, detail, wasStateChange, accepted, duplicates, unknown);
        _reports.Add(report);
        return report;
    }

    private AllocationReportCounter CounterFor(string allocationId)
    {
        if (!_reportCounters.TryGetValue(allocationId, out var counter))
        {
            counter = new AllocationReportCounter();
            _reportCounters.Add(allocationId, counter);
        }

        return counter;
    }

    private ExecutorRecord GetOrCreateExecutor(string executorId)
    {
        if (!_executors.TryGetValue(executorId, out var executor))
        {
            executor = new ExecutorRecord(executorId);
            _executors.Add(executorId, executor);
        }

        return executor;
    }

    private static FunctionCallKey CallKeyOf(Allocation allocation) =>
        new(allocation.Function.Namespace, allocation.Function.ApplicationName, allocation.RequestId, allocation.FunctionCallId);
}

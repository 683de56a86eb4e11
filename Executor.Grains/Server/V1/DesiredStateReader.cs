using Executor.Model;
using Microsoft.Extensions.Logging;
using ProtoV1 = Executor.Protocol.ServerV1;

namespace Executor.Server.V1;

/// <summary>
/// Validates a v1 DesiredExecutorState piece by piece (the shared <see cref="IncomingSpecs"/> rules, plus duplicate
/// ids) and maps the valid pieces to the domain. A bad piece is logged, counted and dropped; the rest still applies.
/// </summary>
internal sealed partial class DesiredStateReader(ILogger logger)
{
    // Allocations are immutable once the Server created them: a spec mapped from one snapshot is reused by id in
    // the next, so a snapshot that changes one allocation out of 10,000 costs hash lookups, not 10,000 mappings.
    private Dictionary<string, AllocationSpec> _knownAllocations = new(StringComparer.Ordinal);

    public long RejectedTotal { get; private set; }

    public DesiredState Read(ProtoV1.DesiredExecutorState message, FunctionExecutorDescriptionStore descriptions)
    {
        var rejected = 0;
        var executors = new List<FunctionExecutorSpec>(message.FunctionExecutors.Count);
        var executorIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var description in message.FunctionExecutors)
        {
            var error = IncomingSpecs.ValidateDescription(description);
            if (error is null && !executorIds.Add(description.Id))
            {
                error = "duplicate function executor id";
            }

            if (error is not null)
            {
                rejected++;
                LogInvalidFunctionExecutor(logger, description.HasId ? description.Id : "(none)", error);
                continue;
            }

            descriptions.Remember(description.Id, description);
            executors.Add(IncomingSpecs.ToSpec(description));
        }

        var allocations = new List<AllocationSpec>(message.Allocations.Count);
        var failed = new List<AllocationOutcome>();
        var allocationIds = new HashSet<string>(message.Allocations.Count, StringComparer.Ordinal);
        var known = new Dictionary<string, AllocationSpec>(message.Allocations.Count, StringComparer.Ordinal);
        foreach (var allocation in message.Allocations)
        {
            if (allocation.HasAllocationId && _knownAllocations.TryGetValue(allocation.AllocationId, out var previous) && allocationIds.Add(allocation.AllocationId))
            {
                known[allocation.AllocationId] = previous;
                allocations.Add(previous);
                continue;
            }

            var error = IncomingSpecs.ValidateAllocation(allocation);
            if (error is null && !allocationIds.Add(allocation.AllocationId))
            {
                // The first copy runs; a second one with the same id is never a second run.
                rejected++;
                LogInvalidAllocation(logger, allocation.AllocationId, "duplicate allocation id");
                continue;
            }

            if (error is not null)
            {
                rejected++;
                LogInvalidAllocation(logger, allocation.HasAllocationId ? allocation.AllocationId : "(none)", error);
                if (IncomingSpecs.IsAnswerable(allocation) && allocationIds.Add(allocation.AllocationId))
                {
                    failed.Add(IncomingSpecs.Unrunnable(allocation));
                }

                continue;
            }

            var spec = IncomingSpecs.ToSpec(allocation);
            known[spec.AllocationId] = spec;
            allocations.Add(spec);
        }

        _knownAllocations = known;

        var results = new List<FunctionCallResultSpec>(message.FunctionCallResults.Count);
        foreach (var result in message.FunctionCallResults)
        {
            if (IncomingSpecs.ReadFunctionCallResult(result, out var error) is { } spec)
            {
                results.Add(spec);
                continue;
            }

            rejected++;
            LogInvalidFunctionCallResult(logger, result.HasFunctionCallId ? result.FunctionCallId : "(none)", error!);
        }

        RejectedTotal += rejected;
        return new DesiredState
        {
            FunctionExecutors = executors,
            Allocations = allocations,
            Clock = message.Clock,
            FunctionCallResults = results,
            RejectedPieces = rejected,
            RejectedAllocations = failed,
        };
    }

    [LoggerMessage(1, LogLevel.Error, "received invalid FunctionExecutorDescription from Server, dropping it from desired state: {FunctionExecutorId}: {Reason}")]
    private static partial void LogInvalidFunctionExecutor(ILogger logger, string functionExecutorId, string reason);

    [LoggerMessage(2, LogLevel.Error, "received invalid Allocation from Server, dropping it from desired state: {AllocationId}: {Reason}")]
    private static partial void LogInvalidAllocation(ILogger logger, string allocationId, string reason);

    [LoggerMessage(3, LogLevel.Error, "received invalid FunctionCallResult from Server, ignoring it: {FunctionCallId}: {Reason}")]
    private static partial void LogInvalidFunctionCallResult(ILogger logger, string functionCallId, string reason);
}

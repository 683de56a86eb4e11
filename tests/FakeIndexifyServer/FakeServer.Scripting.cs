using Executor.Protocol.ServerV1;
using FakeIndexifyServer.Model;

namespace FakeIndexifyServer;

/// <summary>What tests do to the fake: place and remove FEs, add and cancel allocations, replace or push desired states, move the clock.</summary>
public sealed partial class FakeServer
{
    /// <summary>
    /// Places an FE on an executor (it need not have registered yet). It appears in the executor's desired state
    /// until the executor reports it TERMINATED or a test removes it.
    /// </summary>
    public FunctionExecutorDescription AddFunctionExecutor(string executorId, FunctionExecutorDescription description)
    {
        ArgumentNullException.ThrowIfNull(description);
        if (!description.HasId)
        {
            throw new ArgumentException("The description needs an id.", nameof(description));
        }

        lock (_gate)
        {
            if (_functionExecutors.ContainsKey(description.Id))
            {
                throw new InvalidOperationException($"Function executor {description.Id} already exists.");
            }

            GetOrCreateExecutor(executorId);
            _functionExecutors.Add(description.Id, new FunctionExecutorRecord(executorId, description.Clone(), ++_order));
            PlaceQueuedAllocations();
            PublishChanges();
        }

        _changes.Pulse();
        return description;
    }

    /// <summary>
    /// Server-initiated FE removal: the FE leaves the desired state at once; its resources count as freed only once
    /// the executor reports it TERMINATED or stops listing it (see <see cref="ConfirmedGoneFunctionExecutorIds"/>).
    /// </summary>
    public void RemoveFunctionExecutor(string functionExecutorId)
    {
        lock (_gate)
        {
            if (!_functionExecutors.TryGetValue(functionExecutorId, out var fe))
            {
                throw new InvalidOperationException($"Unknown function executor {functionExecutorId}.");
            }

            fe.DesiredTerminated = true;
            PublishChanges();
        }

        _changes.Pulse();
    }

    /// <summary>
    /// Adds an allocation on the FE named by its function_executor_id. It is placed at once, or queued while the FE
    /// already holds max_concurrency allocations. <paramref name="executorId"/> is only needed when the fake does not
    /// know the FE (e.g. after a simulated restart).
    /// </summary>
    public Allocation AddAllocation(Allocation allocation, string? executorId = null)
    {
        ArgumentNullException.ThrowIfNull(allocation);
        if (!allocation.HasAllocationId || !allocation.HasFunctionExecutorId || allocation.Function is null)
        {
            throw new ArgumentException("The allocation needs allocation_id, function_executor_id and function.", nameof(allocation));
        }

        lock (_gate)
        {
            if (_allocations.ContainsKey(allocation.AllocationId))
            {
                throw new InvalidOperationException($"Allocation {allocation.AllocationId} already exists.");
            }

            var owner = executorId
                ?? (_functionExecutors.TryGetValue(allocation.FunctionExecutorId, out var fe) ? fe.ExecutorId : null)
                ?? throw new InvalidOperationException($"Unknown function executor {allocation.FunctionExecutorId}; pass the executor id.");
            var record = new AllocationRecord(allocation.Clone(), owner, ++_order);
            _allocations.Add(record.Id, record);
            _liveAllocations.Add(record.Order, record);
            _functionCalls.TryAdd(CallKeyOf(allocation), FunctionCallOutcome.Pending);
            PlaceQueuedAllocations();
            PublishChanges();
        }

        _changes.Pulse();
        return allocation;
    }

    /// <summary>
    /// Re-queues the function call of a finished or failed allocation (e.g. after EXECUTOR_REMOVED) as a new
    /// allocation with a fresh id on <paramref name="functionExecutorId"/>, as the server's retry would.
    /// </summary>
    public Allocation Reallocate(string allocationId, string functionExecutorId)
    {
        Allocation retry;
        lock (_gate)
        {
            if (!_allocations.TryGetValue(allocationId, out var previous))
            {
                throw new InvalidOperationException($"Unknown allocation {allocationId}.");
            }

            retry = previous.Allocation.Clone();
        }

        retry.AllocationId = Ids.New("alloc");
        retry.FunctionExecutorId = functionExecutorId;
        return AddAllocation(retry);
    }

    /// <summary>Drops a live allocation from the desired state (e.g. its request failed). A late result is ignored as a duplicate.</summary>
    public void CancelAllocation(string allocationId)
    {
        lock (_gate)
        {
            if (_allocations.TryGetValue(allocationId, out var allocation) && allocation.IsLive)
            {
                FailByServer(allocation, AllocationFailureReason.AllocationCancelled, "cancelled by the test");
                PlaceQueuedAllocations();
                PublishChanges();
            }
        }

        _changes.Pulse();
    }

    /// <summary>
    /// Makes an executor's FEs and live allocations exactly those in <paramref name="desired"/> (for fuzz tests).
    /// FEs left out are removed by the server; live allocations left out are cancelled; finished allocations stay
    /// finished. A set clock becomes the server's clock, even if lower. function_call_results are ignored (use
    /// <see cref="CompleteFunctionCall"/>).
    /// </summary>
    public void ReplaceDesiredState(string executorId, DesiredExecutorState desired)
    {
        ArgumentNullException.ThrowIfNull(desired);
        lock (_gate)
        {
            GetOrCreateExecutor(executorId);
            var wantedFunctionExecutors = desired.FunctionExecutors.Select(fe => fe.Id).ToHashSet(StringComparer.Ordinal);
            foreach (var fe in _functionExecutors.Values.Where(fe => fe.ExecutorId == executorId && !wantedFunctionExecutors.Contains(fe.Id)))
            {
                fe.DesiredTerminated = true;
            }

            foreach (var description in desired.FunctionExecutors)
            {
                _functionExecutors[description.Id] = new FunctionExecutorRecord(executorId, description.Clone(), ++_order);
            }

            var wantedAllocations = desired.Allocations.Select(a => a.AllocationId).ToHashSet(StringComparer.Ordinal);
            foreach (var allocation in _liveAllocations.Values.Where(a => a.ExecutorId == executorId && !wantedAllocations.Contains(a.Id)).ToList())
            {
                FailByServer(allocation, AllocationFailureReason.AllocationCancelled, "left out of a replaced desired state");
            }

            foreach (var allocation in desired.Allocations)
            {
                if (_allocations.TryGetValue(allocation.AllocationId, out var existing))
                {
                    if (existing.IsLive)
                    {
                        existing.Allocation = allocation.Clone();
                        existing.ExecutorId = executorId;
                        existing.Phase = AllocationPhase.Placed;
                    }

                    continue;
                }

                var record = new AllocationRecord(allocation.Clone(), executorId, ++_order) { Phase = AllocationPhase.Placed };
                _allocations.Add(record.Id, record);
                _liveAllocations.Add(record.Order, record);
                _functionCalls.TryAdd(CallKeyOf(allocation), FunctionCallOutcome.Pending);
            }

            PublishChanges(desired.HasClock ? desired.Clock : null);
        }

        _changes.Pulse();
    }

    /// <summary>
    /// Sends <paramref name="snapshot"/> verbatim to the executor's open streams without touching the fake's books
    /// (garbage, stale or reordered states for fuzzing). Returns how many streams it was offered to.
    /// </summary>
    public int PushRawSnapshot(string executorId, DesiredExecutorState snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        lock (_gate)
        {
            if (!_executors.TryGetValue(executorId, out var executor))
            {
                return 0;
            }

            var copy = snapshot.Clone();
            foreach (var stream in executor.Streams)
            {
                stream.Offer(copy);
            }

            return executor.Streams.Count;
        }
    }

    /// <summary>The server-wide clock carried by the next snapshots.</summary>
    public ulong Clock
    {
        get
        {
            lock (_gate)
            {
                return _clock;
            }
        }
    }

    /// <summary>Sets the clock, e.g. to 0 to simulate a wiped server database. Nothing is pushed by itself.</summary>
    public void ResetClock(ulong value = 0)
    {
        lock (_gate)
        {
            _clock = value;
        }
    }

    /// <summary>Moves the clock forward (the real one jumps by arbitrary amounts).</summary>
    public void AdvanceClock(ulong by = 1)
    {
        lock (_gate)
        {
            _clock += by;
        }
    }
}

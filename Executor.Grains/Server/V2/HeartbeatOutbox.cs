using ProtoV2 = Executor.Protocol.ServerV2;

namespace Executor.Server.V2;

/// <summary>
/// What the executor owes the Server besides outcomes (those stay with the ExecutorGrain until delivered): command
/// responses and call_function log entries. Items leave only when a heartbeat that carried them was accepted without
/// send_state; until then every heartbeat offers them again (the Server ingests idempotently). A call also leaves when
/// nobody waits for it any more (<see cref="Withdraw"/>): its caller was told it did not start, so it must not start
/// later. Not thread-safe: the connection calls it under its lock.
/// </summary>
internal sealed class HeartbeatOutbox(int memory = 10_000)
{
    private readonly List<ProtoV2.CommandResponse> _responses = [];
    private readonly List<QueuedFunctionCall> _calls = [];
    private readonly Dictionary<string, QueuedFunctionCall> _callsByKey = new(StringComparer.Ordinal);
    private readonly RecentIds _deliveredCalls = new(memory);

    public IReadOnlyList<ProtoV2.CommandResponse> Responses => _responses;

    public IReadOnlyList<QueuedFunctionCall> Calls => _calls;

    public void AddResponse(ProtoV2.CommandResponse response) => _responses.Add(response);

    /// <summary>
    /// Queues a call, or joins the one already queued with the same key (another caller of the same call), or
    /// completes at once if that call was already accepted: never a second entry for one call. Every caller that
    /// gets an unfinished task must either see it finish or <see cref="Withdraw"/>.
    /// </summary>
    public Task AddCall(string key, ProtoV2.AllocationLogEntry entry)
    {
        if (_callsByKey.TryGetValue(key, out var queued))
        {
            queued.Waiters++;
            return queued.Accepted.Task;
        }

        if (_deliveredCalls.Contains(key))
        {
            return Task.CompletedTask;
        }

        var call = new QueuedFunctionCall(key, entry) { Waiters = 1 };
        _calls.Add(call);
        _callsByKey[key] = call;
        return call.Accepted.Task;
    }

    /// <summary>
    /// A caller stopped waiting (timed out or cancelled) before the Server accepted its call; once no caller waits, the
    /// call is no longer offered (a retry queues it again). A heartbeat already carrying it may still be accepted.
    /// </summary>
    public void Withdraw(string key)
    {
        if (_callsByKey.TryGetValue(key, out var queued) && --queued.Waiters <= 0)
        {
            _callsByKey.Remove(key);
            _calls.Remove(queued);
        }
    }

    /// <summary>The Server accepted a heartbeat carrying these: they are delivered.</summary>
    public void Acknowledge(IReadOnlyCollection<ProtoV2.CommandResponse> responses, IReadOnlyCollection<QueuedFunctionCall> calls)
    {
        if (responses.Count > 0)
        {
            var sent = new HashSet<ProtoV2.CommandResponse>(responses, ReferenceEqualityComparer.Instance);
            _responses.RemoveAll(sent.Contains);
        }

        if (calls.Count > 0)
        {
            var sent = new HashSet<QueuedFunctionCall>(calls);
            _calls.RemoveAll(sent.Contains);
            foreach (var call in calls)
            {
                // A call withdrawn while this heartbeat carried it may have been queued again since: the Server has it.
                if (_callsByKey.Remove(call.Key, out var current) && !ReferenceEquals(current, call))
                {
                    _calls.Remove(current);
                    current.Accepted.TrySetResult();
                }

                _deliveredCalls.Add(call.Key);
                call.Accepted.TrySetResult();
            }
        }
    }
}

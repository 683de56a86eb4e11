using ProtoV2 = Executor.Protocol.ServerV2;

namespace Executor.Server.V2;

/// <summary>
/// What the executor owes the Server besides outcomes (those stay with the ExecutorGrain until delivered): command
/// responses and call_function log entries. Items leave only when a heartbeat that carried them was accepted without
/// send_state; until then every heartbeat offers them again (the Server ingests idempotently). Not thread-safe: the
/// connection calls it under its lock.
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
    /// Queues a call, or joins the one already queued with the same key (a caller's retry after its timeout), or
    /// completes at once if that call was already accepted: never a second entry for one call.
    /// </summary>
    public Task AddCall(string key, ProtoV2.AllocationLogEntry entry)
    {
        if (_callsByKey.TryGetValue(key, out var queued))
        {
            return queued.Accepted.Task;
        }

        if (_deliveredCalls.Contains(key))
        {
            return Task.CompletedTask;
        }

        var call = new QueuedFunctionCall(key, entry);
        _calls.Add(call);
        _callsByKey[key] = call;
        return call.Accepted.Task;
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
                _callsByKey.Remove(call.Key);
                _deliveredCalls.Add(call.Key);
                call.Accepted.TrySetResult();
            }
        }
    }
}

using ProtoV2 = Executor.Protocol.ServerV2;

namespace Executor.Server.V2;

/// <summary>One heartbeat request and the outbox items it carries (removed only if the Server accepts it).</summary>
internal sealed record HeartbeatBatch(
    ProtoV2.HeartbeatRequest Request,
    IReadOnlyList<ProtoV2.CommandResponse> Responses,
    IReadOnlyList<QueuedFunctionCall> Calls,
    IReadOnlyList<string> OutcomeIds,
    bool LeftOver)
{
    public int Bytes { get; } = Request.CalculateSize();

    public bool CarriesFullState => Request.FullState is not null;

    /// <summary>
    /// Fills a heartbeat under <paramref name="limit"/> bytes in the order the Server processes it: command responses,
    /// then log entries, then outcomes. An outcome of an allocation whose call_function entries do not all fit waits
    /// with them, so a call is never ingested after the outcome that depends on it. Each kind keeps its order.
    /// </summary>
    public static HeartbeatBatch Build(
        ProtoV2.HeartbeatRequest request,
        IReadOnlyList<ProtoV2.CommandResponse> responses,
        IReadOnlyList<QueuedFunctionCall> calls,
        IReadOnlyList<PreparedOutcome> outcomes,
        int limit)
    {
        var budget = new MessageBudget(limit, request.CalculateSize());
        var leftOver = false;
        var sentResponses = new List<ProtoV2.CommandResponse>();
        foreach (var response in responses)
        {
            if (!budget.TryTake(MessageBudget.RepeatedFieldBytes(response)))
            {
                leftOver = true;
                break;
            }

            request.CommandResponses.Add(response);
            sentResponses.Add(response);
        }

        var sentCalls = new List<QueuedFunctionCall>();
        HashSet<string>? waitingParents = null;
        for (var i = 0; i < calls.Count; i++)
        {
            if (waitingParents is null && budget.TryTake(MessageBudget.RepeatedFieldBytes(calls[i].Entry)))
            {
                request.AllocationLogEntries.Add(calls[i].Entry);
                sentCalls.Add(calls[i]);
                continue;
            }

            leftOver = true;
            (waitingParents ??= new HashSet<string>(StringComparer.Ordinal)).Add(calls[i].AllocationId);
        }

        var sentOutcomes = new List<string>();
        foreach (var outcome in outcomes)
        {
            if (waitingParents?.Contains(outcome.AllocationId) == true)
            {
                leftOver = true;
                continue;
            }

            if (!budget.TryTake(outcome.Bytes))
            {
                leftOver = true;
                break;
            }

            request.AllocationOutcomes.Add(outcome.Wire);
            sentOutcomes.Add(outcome.AllocationId);
        }

        return new HeartbeatBatch(request, sentResponses, sentCalls, sentOutcomes, leftOver);
    }
}

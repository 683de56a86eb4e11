using Executor.Model;
using ProtoV2 = Executor.Protocol.ServerV2;

namespace Executor.Server.V2;

/// <summary>
/// Turns the FE states of successive reports into v2 lifecycle responses, each once per container: ContainerStarted
/// when it first reports RUNNING, ContainerTerminated (reason mapped by meaning) when it first reports TERMINATED, or
/// FUNCTION_CANCELLED when it vanishes (or never appeared) after the Server removed it. Lifecycle only: allocation
/// outcomes are reported one by one by the grains. Not thread-safe.
/// </summary>
internal sealed class ContainerLifecycle
{
    private readonly Dictionary<string, Phase> _phases = new(StringComparer.Ordinal);
    private readonly HashSet<string> _removalRequested = new(StringComparer.Ordinal);

    /// <summary>The Server sent RemoveContainer for this id.</summary>
    public void RemovalRequested(string id) => _removalRequested.Add(id);

    /// <param name="states">The FEs as they really are (terminations held back for v1 included).</param>
    /// <param name="stopping">A STOPPED report: the Server deregisters the executor, vanishing FEs need no answer.</param>
    public List<ProtoV2.CommandResponse> Observe(IReadOnlyList<FunctionExecutorState> states, bool stopping)
    {
        var responses = new List<ProtoV2.CommandResponse>();
        var seen = new HashSet<string>(states.Count, StringComparer.Ordinal);
        foreach (var state in states)
        {
            var id = state.FunctionExecutorId;
            seen.Add(id);
            _removalRequested.Remove(id);
            var phase = _phases.GetValueOrDefault(id);
            if (state.Status == FunctionExecutorStatus.Running && phase is Phase.None or Phase.Pending)
            {
                responses.Add(new ProtoV2.CommandResponse { ContainerStarted = new ProtoV2.ContainerStarted { ContainerId = id } });
                phase = Phase.Started;
            }
            else if (state.Status == FunctionExecutorStatus.Terminated && phase != Phase.Terminated)
            {
                responses.Add(Terminated(id, TerminationReasons.ToWire(state.TerminationReason ?? FunctionExecutorTerminationReason.Unknown)));
                phase = Phase.Terminated;
            }
            else if (phase == Phase.None)
            {
                phase = Phase.Pending;
            }

            _phases[id] = phase;
        }

        foreach (var (id, phase) in _phases.Where(p => !seen.Contains(p.Key)).ToList())
        {
            _phases.Remove(id);
            if (phase != Phase.Terminated && !stopping)
            {
                // Removed by the Server and now gone: its resources are free.
                responses.Add(Terminated(id, ProtoV2.ContainerTerminationReason.FunctionCancelled));
            }

            _removalRequested.Remove(id);
        }

        foreach (var id in _removalRequested)
        {
            // Removed before it was ever reported: the Server still waits to hear it is gone.
            if (!stopping)
            {
                responses.Add(Terminated(id, ProtoV2.ContainerTerminationReason.FunctionCancelled));
            }
        }

        _removalRequested.Clear();
        return responses;
    }

    private static ProtoV2.CommandResponse Terminated(string id, ProtoV2.ContainerTerminationReason reason) =>
        new() { ContainerTerminated = new ProtoV2.ContainerTerminated { ContainerId = id, Reason = reason } };

    private enum Phase
    {
        None,
        Pending,
        Started,
        Terminated,
    }
}

using Executor.Model;
using ProtoV2 = Executor.Protocol.ServerV2;

namespace Executor.Server.V2;

/// <summary>
/// DataplaneStateFullSync from a report: the executor's identity and capacity, and every FE as it really is, each
/// with the Server's ContainerDescription echoed verbatim (the Server adopts or removes what it finds there).
/// </summary>
internal static class FullStateBuilder
{
    public static ProtoV2.DataplaneStateFullSync Build(ExecutorReport report, IReadOnlyList<FunctionExecutorState> states, FunctionExecutorDescriptionStore descriptions, Action<string> missingDescription)
    {
        var full = new ProtoV2.DataplaneStateFullSync
        {
            Hostname = report.Hostname,
            Version = report.Version,
            TotalResources = WireMapping.ToWire(report.TotalResources),
            TotalContainerResources = WireMapping.ToWire(report.TotalFunctionExecutorResources),
        };
        full.AllowedFunctions.AddRange(report.AllowedFunctions.Select(WireMapping.ToWireAllowed));
        foreach (var (key, value) in report.Labels)
        {
            full.Labels[key] = value;
        }

        if (report.CatalogEntryName is not null)
        {
            full.CatalogEntryName = report.CatalogEntryName;
        }

        foreach (var fe in states)
        {
            if (!descriptions.TryGet(fe.FunctionExecutorId, ProtoV2.ContainerDescription.Parser, out var description))
            {
                missingDescription(fe.FunctionExecutorId);
                continue;
            }

            var state = new ProtoV2.ContainerState { Description = description, Status = WireMapping.ToWire(fe.Status) };
            if (fe.Status == FunctionExecutorStatus.Terminated)
            {
                state.TerminationReason = TerminationReasons.ToWire(fe.TerminationReason ?? FunctionExecutorTerminationReason.Unknown);
            }

            full.ContainerStates.Add(state);
        }

        return full;
    }
}

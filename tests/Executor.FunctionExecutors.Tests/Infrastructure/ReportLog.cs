using System.Text.Json;
using Executor.Protocol.ServerV1;
using Executor.TestHost;
using FakeIndexifyServer;

namespace Executor.FunctionExecutors.Tests.Infrastructure;

/// <summary>Questions about what the fake Server received (its report log), plus running the <c>env</c> test function.</summary>
internal static class ReportLog
{
    /// <summary>Patience for anything involving process startup on a loaded 2-core machine.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public static FunctionExecutorState? StateOf(ReceivedReport report, string functionExecutorId) =>
        report.FunctionExecutorStates.FirstOrDefault(s => s.Description?.Id == functionExecutorId);

    /// <summary>The first accepted report that lists the FE with <paramref name="status"/>.</summary>
    public static Task<ReceivedReport> WaitForStatusAsync(this FakeServer server, string functionExecutorId, FunctionExecutorStatus status, long afterSequence = 0) =>
        server.WaitForFunctionExecutorStatusAsync(functionExecutorId, status, Patience, afterSequence);

    /// <summary>The accepted report in which the Server took the allocation's result.</summary>
    public static ReceivedReport ReportAccepting(this FakeServer server, string allocationId) =>
        server.Reports.Single(r => r.AcceptedAllocationIds.Contains(allocationId));

    /// <summary>Runs the <c>env</c> test function on <paramref name="fe"/> and returns the FE process's environment.</summary>
    public static async Task<Dictionary<string, string>> RunEnvAsync(this ExecutorScenario scenario, FunctionExecutorDescription fe)
    {
        var allocation = scenario.AddAllocation(fe);
        var server = scenario.Server;
        var result = await server.WaitForResultAsync(allocation.AllocationId, Patience);
        Assert.True(
            result.OutcomeCode == AllocationOutcomeCode.Success,
            $"env on {fe.Id} ended {result.OutcomeCode} {result.FailureReason}; FE states: {string.Join(", ", server.Reports.Select(r => StateOf(r, fe.Id)).Where(s => s is not null).Select(s => $"{s!.Status}/{s.TerminationReason}").Distinct())}\n{Tail(scenario.Executor.Output)}");
        return JsonSerializer.Deserialize<Dictionary<string, string>>(scenario.Server.Blobs.Read(result.Value))
            ?? throw new InvalidOperationException("env returned null");
    }

    /// <summary>The end of the executor's output, for failure messages.</summary>
    public static string Tail(string output) => output.Length <= 6000 ? output : output[^6000..];
}

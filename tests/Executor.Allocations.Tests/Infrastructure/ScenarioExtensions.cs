using System.Text;
using Executor.Protocol.ServerV1;
using Executor.TestHost;
using FakeIndexifyServer;

namespace Executor.Allocations.Tests.Infrastructure;

/// <summary>Observations the allocation tests share: results as reported (accepted or not), FE terminations, FE-side logs.</summary>
internal static class ScenarioExtensions
{
    /// <summary>Generous: other test runs share this machine.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The first result the executor reported for an allocation, accepted or not (the fake ignores results of
    /// allocations it already failed itself, e.g. cancelled ones, but still logs them).
    /// </summary>
    public static Task<AllocationResult> WaitForReportedResultAsync(this FakeServer server, string allocationId, TimeSpan? timeout = null) =>
        server.WaitForAsync(
            s => s.Reports.SelectMany(r => r.AllocationResults).FirstOrDefault(r => r.AllocationId == allocationId),
            timeout ?? Patience,
            $"a reported result for allocation {allocationId}");

    /// <summary>The first report listing the FE as TERMINATED.</summary>
    public static Task<FunctionExecutorState> WaitForTerminatedAsync(this FakeServer server, string functionExecutorId, TimeSpan? timeout = null) =>
        server.WaitForAsync(
            s => s.Reports.SelectMany(r => r.FunctionExecutorStates).FirstOrDefault(f => f.Description?.Id == functionExecutorId && f.Status == FunctionExecutorStatus.Terminated),
            timeout ?? Patience,
            $"function executor {functionExecutorId} reported TERMINATED");

    /// <summary>How many times the allocation's result appeared in reports (the executor must stop re-sending once one succeeded).</summary>
    public static int TimesReported(this FakeServer server, string allocationId) =>
        server.Reports.Where(r => r.Succeeded).SelectMany(r => r.AllocationResults).Count(r => r.AllocationId == allocationId);

    /// <summary>Asserts the allocation was reported exactly once and accepted.</summary>
    public static void AssertReportedOnce(this FakeServer server, string allocationId)
    {
        var stats = server.GetReportStats(allocationId);
        Xunit.Assert.True(stats.Accepted, $"allocation {allocationId} has no accepted result");
        Xunit.Assert.Equal(1, stats.TimesReported);
        Xunit.Assert.Equal(0, stats.DuplicateCount);
    }

    /// <summary>The accepted result of an allocation; on timeout the failure says what the fake and the executor saw.</summary>
    public static async Task<AllocationResult> WaitForResultAsync(this ExecutorScenario scenario, Allocation allocation)
    {
        try
        {
            return await scenario.Server.WaitForResultAsync(allocation.AllocationId, Patience);
        }
        catch (TimeoutException ex)
        {
            var failures = string.Join("\n", scenario.Server.ServerFailures.Select(f => $"{f.AllocationId}: {f.Reason} ({f.Cause})"));
            var executorLog = scenario.Executor.Output;
            throw new TimeoutException($"{ex.Message}\n--- server failures ---\n{failures}\n--- executor log (tail) ---\n{executorLog[Math.Max(0, executorLog.Length - 20_000)..]}", ex);
        }
    }

    /// <summary>Asserts none of the FEs was reported TERMINATED; otherwise fails with the executor's log.</summary>
    public static void AssertNotTerminated(this ExecutorScenario scenario, params string[] functionExecutorIds)
    {
        var terminated = scenario.Server.Reports.SelectMany(r => r.FunctionExecutorStates)
            .FirstOrDefault(f => functionExecutorIds.Contains(f.Description?.Id) && f.Status == FunctionExecutorStatus.Terminated);
        if (terminated is not null)
        {
            var executorLog = scenario.Executor.Output;
            Xunit.Assert.Fail($"FE {terminated.Description.Id} was terminated ({terminated.TerminationReason})\n--- executor log (tail) ---\n{executorLog[Math.Max(0, executorLog.Length - 20_000)..]}");
        }
    }

    /// <summary>Asserts SUCCESS; otherwise fails with the executor's and the FE's logs, which say why.</summary>
    public static void AssertSuccess(this ExecutorScenario scenario, AllocationResult result, string functionExecutorId) =>
        scenario.AssertOutcome(result, functionExecutorId, AllocationOutcomeCode.Success, null);

    /// <summary>Asserts the outcome and failure reason (null: unset); on a mismatch fails with the executor's and the FE's logs.</summary>
    public static void AssertOutcome(this ExecutorScenario scenario, AllocationResult result, string functionExecutorId, AllocationOutcomeCode outcome, AllocationFailureReason? reason)
    {
        if (result.OutcomeCode == outcome && (result.HasFailureReason ? result.FailureReason : (AllocationFailureReason?)null) == reason)
        {
            return;
        }

        string feLog;
        try
        {
            feLog = scenario.ReadFunctionExecutorLog(functionExecutorId);
        }
        catch (FileNotFoundException ex)
        {
            feLog = ex.Message;
        }

        var executorLog = scenario.Executor.Output;
        Xunit.Assert.Fail($"allocation {result.AllocationId}: expected {outcome} {reason}, got {result.OutcomeCode} {(result.HasFailureReason ? result.FailureReason : null)}\n--- FE log ---\n{feLog}\n--- executor log (tail) ---\n{executorLog[Math.Max(0, executorLog.Length - 20_000)..]}");
    }

    /// <summary>
    /// Like <see cref="ExecutorScenario.AddFunctionExecutor"/>, but asking for little CPU, memory and disk, so that
    /// the several FEs of a shared scenario always fit the host (the executor refuses FEs beyond its capacity), and
    /// with a code file of its own.
    /// </summary>
    public static FunctionExecutorDescription AddSmallFunctionExecutor(this ExecutorScenario scenario, string function, uint maxConcurrency = 1, uint allocationTimeoutMs = 300_000, string application = "app")
    {
        var server = scenario.Server;
        // One code file per FE: rewriting a shared one while the executor downloads it for another FE fails that FE's start.
        var code = server.Blobs.Put($"ns/{application}/code/{Guid.NewGuid():N}.zip", Encoding.UTF8.GetBytes("PK-test-code-1"), PayloadEncodings.Zip);
        var description = server.NewFunctionExecutor("ns", application, function, "1", maxConcurrency: maxConcurrency, cpuMsPerSec: 100, memoryMib: 64, diskMib: 64, allocationTimeoutMs: allocationTimeoutMs, codePayload: code);
        return server.AddFunctionExecutor(scenario.ExecutorId, description);
    }

    /// <summary>A payload written under the request's prefix, as the Server would hand a child's value to the executor.</summary>
    public static DataPayload PutText(this FakeServer server, Allocation allocation, string name, string text) =>
        server.Blobs.PutRequestPayload(allocation.Function.Namespace, allocation.Function.ApplicationName, allocation.RequestId, name, Encoding.UTF8.GetBytes(text), PayloadEncodings.Text);
}

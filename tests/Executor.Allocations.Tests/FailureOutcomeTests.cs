using System.Text;
using Executor.Allocations.Tests.Infrastructure;
using Executor.Protocol.ServerV1;
using Executor.TestHost;
using TestFunctionExecutor;
using Xunit;

namespace Executor.Allocations.Tests;

/// <summary>Issue 5 (c): executor-decided and FE-decided failures, with upstream's outcome, reason, duration and FE termination.</summary>
public abstract class FailureOutcomeTests<TProtocols>(DefaultScenarioFixture<TProtocols> fixture) : IClassFixture<DefaultScenarioFixture<TProtocols>>
    where TProtocols : IProtocols
{
    private readonly DefaultScenarioFixture<TProtocols> _fixture = fixture;

    [Fact]
    public async Task TimeoutFailsTheAllocationAndTerminatesItsFunctionExecutorBlamingIt()
    {
        var scenario = _fixture.Scenario;
        var fe = scenario.AddSmallFunctionExecutor(TestFunctions.SleepFor(120_000), allocationTimeoutMs: 1500, application: "timeout");
        var allocation = scenario.AddAllocation(fe);

        var result = await scenario.WaitForResultAsync(allocation);
        scenario.AssertOutcome(result, fe.Id, AllocationOutcomeCode.Failure, AllocationFailureReason.FunctionTimeout);
        Assert.True(result.HasExecutionDurationMs);
        Assert.InRange(result.ExecutionDurationMs, 1500UL, 60_000UL);
        Assert.Null(result.Value);
        Assert.Null(result.RequestError);

        var terminated = await scenario.Server.WaitForTerminatedAsync(fe.Id);
        Assert.Equal(FunctionExecutorTerminationReason.FunctionTimeout, terminated.TerminationReason);
        scenario.AssertTerminationBlames(terminated, allocation.AllocationId);
        scenario.Server.AssertReportedOnce(allocation.AllocationId);
    }

    [Fact]
    public async Task ABrokenStateStreamIsReopenedAndTheAllocationSucceedsOnItsHealthyFunctionExecutor()
    {
        // The FE resets the first watch stream of each allocation after its first state, as a dropped HTTP/2 connection
        // would; the function itself keeps running. Upstream would fail the allocation and replace the FE.
        var scenario = _fixture.Scenario;
        var fe = scenario.AddSmallFunctionExecutor(TestFunctions.Combine(TestFunctions.SleepFor(1000), TestFunctions.BreakWatch), application: "break-watch");
        var allocation = scenario.AddAllocation(fe);

        var result = await scenario.WaitForResultAsync(allocation);
        scenario.AssertSuccess(result, fe.Id);
        scenario.Server.AssertReportedOnce(allocation.AllocationId);
        Assert.Contains($"allocation {allocation.AllocationId}: the FE's state stream broke", scenario.Executor.Output, StringComparison.Ordinal);

        // Still the same healthy FE: it runs the next allocation.
        var next = scenario.AddAllocation(fe);
        scenario.AssertSuccess(await scenario.WaitForResultAsync(next), fe.Id);
        Assert.DoesNotContain(scenario.Server.Reports, r => r.FunctionExecutorStates.Any(s => s.Description?.Id == fe.Id && s.Status == FunctionExecutorStatus.Terminated));
    }

    [Fact]
    public async Task FunctionExecutorCrashMidRunIsAFunctionErrorAndTheFunctionExecutorIsUnhealthy()
    {
        var scenario = _fixture.Scenario;
        var fe = scenario.AddSmallFunctionExecutor(TestFunctions.Crash, application: "crash");
        var allocation = scenario.AddAllocation(fe);

        var result = await scenario.WaitForResultAsync(allocation);
        scenario.AssertOutcome(result, fe.Id, AllocationOutcomeCode.Failure, AllocationFailureReason.FunctionError);
        Assert.True(result.HasExecutionDurationMs);

        var terminated = await scenario.Server.WaitForTerminatedAsync(fe.Id);
        Assert.Equal(FunctionExecutorTerminationReason.Unhealthy, terminated.TerminationReason);
        Assert.Contains("exiting with code 70", scenario.ReadFunctionExecutorLog(fe.Id), StringComparison.Ordinal);
        scenario.Server.AssertReportedOnce(allocation.AllocationId);
    }

    [Fact]
    public async Task FunctionErrorsAndRequestErrorsAreReportedAsUpstreamDoes()
    {
        var scenario = _fixture.Scenario;
        var failing = scenario.AddSmallFunctionExecutor(TestFunctions.FailFunction, application: "failing");
        var requestError = scenario.AddSmallFunctionExecutor(TestFunctions.FailRequest, application: "request-error");
        var internalError = scenario.AddSmallFunctionExecutor(TestFunctions.FailInternal, application: "internal");
        var a1 = scenario.AddAllocation(failing);
        var a2 = scenario.AddAllocation(requestError, "{\"message\":\"bad request\"}");
        var a3 = scenario.AddAllocation(internalError);

        var r1 = await scenario.WaitForResultAsync(a1);
        scenario.AssertOutcome(r1, failing.Id, AllocationOutcomeCode.Failure, AllocationFailureReason.FunctionError);
        Assert.True(r1.HasExecutionDurationMs);
        Assert.Null(r1.Value);
        Assert.Null(r1.RequestError);

        // FE REQUEST_ERROR (3) is the Server's REQUEST_ERROR (4); the message is at the request-error BLOB.
        var r2 = await scenario.WaitForResultAsync(a2);
        scenario.AssertOutcome(r2, requestError.Id, AllocationOutcomeCode.Failure, AllocationFailureReason.RequestError);
        Assert.True(r2.HasExecutionDurationMs);
        Assert.NotNull(r2.RequestError);
        Assert.Equal($"{a2.RequestErrorPayloadUriPrefix}.{a2.AllocationId}.req_error", r2.RequestError.Uri);
        Assert.Equal(DataPayloadEncoding.Utf8Text, r2.RequestError.Encoding);
        Assert.Equal("bad request", Encoding.UTF8.GetString(scenario.Server.Blobs.Read(r2.RequestError)));

        // FE-side INTERNAL_ERROR is reported as FUNCTION_ERROR (user code must not claim executor errors).
        var r3 = await scenario.WaitForResultAsync(a3);
        scenario.AssertOutcome(r3, internalError.Id, AllocationOutcomeCode.Failure, AllocationFailureReason.FunctionError);

        // A failed allocation does not cost its FE: each answers a second allocation.
        var again = scenario.AddAllocation(failing);
        Assert.Equal(AllocationFailureReason.FunctionError, (await scenario.WaitForResultAsync(again)).FailureReason);
        scenario.AssertNotTerminated(failing.Id, requestError.Id, internalError.Id);

        foreach (var id in new[] { a1.AllocationId, a2.AllocationId, a3.AllocationId, again.AllocationId })
        {
            scenario.Server.AssertReportedOnce(id);
        }
    }
}

/// <summary><see cref="FailureOutcomeTests{TProtocols}"/> on the diagonal: v1 with FE 0.1.2, v2 with FE 0.1.3.</summary>
public static class FailureOutcomeTests
{
    public sealed class V1Fe012(DefaultScenarioFixture<Protocols.V1Fe012> fixture) : FailureOutcomeTests<Protocols.V1Fe012>(fixture);

    public sealed class V2Fe013(DefaultScenarioFixture<Protocols.V2Fe013> fixture) : FailureOutcomeTests<Protocols.V2Fe013>(fixture);
}

using System.Text;
using Executor.Allocations.Tests.Infrastructure;
using Executor.Protocol.ServerV1;
using Executor.TestHost;
using TestFunctionExecutor;
using Xunit;

namespace Executor.Allocations.Tests;

/// <summary>Issue 6: request state shared by the allocations of one request; progress keeps an allocation alive.</summary>
public abstract class RequestStateAndProgressTests<TProtocols>(DefaultScenarioFixture<TProtocols> fixture) : IClassFixture<DefaultScenarioFixture<TProtocols>>
    where TProtocols : IProtocols
{
    private readonly DefaultScenarioFixture<TProtocols> _fixture = fixture;

    [Fact]
    public async Task AllocationsOfOneRequestShareRequestStateAndMissingKeysAreNotFound()
    {
        var scenario = _fixture.Scenario;
        var writer = scenario.AddSmallFunctionExecutor(TestFunctions.StateWriteRead, application: "state");
        var reader = scenario.AddSmallFunctionExecutor(TestFunctions.StateReadMissing, application: "state");
        var request = "req-" + Guid.NewGuid().ToString("N");
        const string key = "shared/key ü";

        // Two allocations of the same request write then read the same key, one after the other: each reads what it wrote.
        var first = scenario.AddAllocation(writer, $"{{\"key\":\"{key}\",\"value\":\"first value\"}}", request);
        var firstResult = await scenario.WaitForResultAsync(first);
        scenario.AssertSuccess(firstResult, writer.Id);
        Assert.Equal("first value", Encoding.UTF8.GetString(scenario.Server.Blobs.Read(firstResult.Value)));

        var second = scenario.AddAllocation(writer, $"{{\"key\":\"{key}\",\"value\":\"second value\"}}", request);
        var secondResult = await scenario.WaitForResultAsync(second);
        scenario.AssertSuccess(secondResult, writer.Id);
        Assert.Equal("second value", Encoding.UTF8.GetString(scenario.Server.Blobs.Read(secondResult.Value)));

        // The value lives under <prefix>/state/<percent-encoded key> ('/' and non-ASCII encoded), as upstream.
        var stateFile = $"{second.RequestDataPayloadUriPrefix}/state/shared%2Fkey%20%C3%BC"["file://".Length..];
        Assert.Equal("second value", await File.ReadAllTextAsync(stateFile));

        // A third allocation of the request, on another FE, finds the key; an unknown key is "not found" (status 5).
        var found = scenario.AddAllocation(reader, $"{{\"key\":\"{key}\"}}", request);
        var foundResult = await scenario.WaitForResultAsync(found);
        scenario.AssertSuccess(foundResult, reader.Id);
        Assert.Equal("found:second value", Encoding.UTF8.GetString(scenario.Server.Blobs.Read(foundResult.Value)));

        var missing = scenario.AddAllocation(reader, "{\"key\":\"never-written\"}", request);
        var missingResult = await scenario.WaitForResultAsync(missing);
        scenario.AssertSuccess(missingResult, reader.Id);
        Assert.Equal(TestFunctions.NotFoundValue, Encoding.UTF8.GetString(scenario.Server.Blobs.Read(missingResult.Value)));

        // Another request does not see this request's state.
        var otherRequest = scenario.AddAllocation(reader, $"{{\"key\":\"{key}\"}}");
        var otherResult = await scenario.WaitForResultAsync(otherRequest);
        Assert.Equal(TestFunctions.NotFoundValue, Encoding.UTF8.GetString(scenario.Server.Blobs.Read(otherResult.Value)));

        foreach (var id in new[] { first.AllocationId, second.AllocationId, found.AllocationId, missing.AllocationId, otherRequest.AllocationId })
        {
            scenario.Server.AssertReportedOnce(id);
        }
    }

    [Fact]
    public async Task ProgressUpdatesKeepAnAllocationAlivePastItsTimeoutWhileTheSameRunTimeWithoutProgressTimesOut()
    {
        const uint timeoutMs = 3000;
        var scenario = _fixture.Scenario;

        // 8 steps of 800 ms: 6.4 s of work, over twice the timeout, with a progress update well inside every timeout window.
        var progressing = scenario.AddSmallFunctionExecutor(TestFunctions.Progress(8, 800), allocationTimeoutMs: timeoutMs, application: "progress");
        var silent = scenario.AddSmallFunctionExecutor(TestFunctions.SleepFor(6400), allocationTimeoutMs: timeoutMs, application: "silent");
        var withProgress = scenario.AddAllocation(progressing);
        var withoutProgress = scenario.AddAllocation(silent);

        var silentResult = await scenario.WaitForResultAsync(withoutProgress);
        Assert.Equal(AllocationOutcomeCode.Failure, silentResult.OutcomeCode);
        Assert.Equal(AllocationFailureReason.FunctionTimeout, silentResult.FailureReason);
        Assert.InRange(silentResult.ExecutionDurationMs, timeoutMs, 6400UL);
        Assert.Equal(FunctionExecutorTerminationReason.FunctionTimeout, (await scenario.Server.WaitForTerminatedAsync(silent.Id)).TerminationReason);

        var progressResult = await scenario.WaitForResultAsync(withProgress);
        scenario.AssertSuccess(progressResult, progressing.Id);
        Assert.True(progressResult.ExecutionDurationMs >= 6400, $"duration {progressResult.ExecutionDurationMs} ms");
        Assert.Equal(Encoding.UTF8.GetBytes("\"hello\""), scenario.Server.Blobs.Read(progressResult.Value));
        scenario.AssertNotTerminated(progressing.Id);
        scenario.Server.AssertReportedOnce(withProgress.AllocationId);
        scenario.Server.AssertReportedOnce(withoutProgress.AllocationId);
    }
}

/// <summary><see cref="RequestStateAndProgressTests{TProtocols}"/> on the diagonal: v1 with FE 0.1.2, v2 with FE 0.1.3.</summary>
public static class RequestStateAndProgressTests
{
    public sealed class V1Fe012(DefaultScenarioFixture<Protocols.V1Fe012> fixture) : RequestStateAndProgressTests<Protocols.V1Fe012>(fixture);

    public sealed class V2Fe013(DefaultScenarioFixture<Protocols.V2Fe013> fixture) : RequestStateAndProgressTests<Protocols.V2Fe013>(fixture);
}

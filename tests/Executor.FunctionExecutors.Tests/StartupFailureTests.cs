using Executor.FunctionExecutors.Tests.Infrastructure;
using Executor.Protocol.ServerV1;
using Executor.TestHost;
using TestFunctionExecutor;

namespace Executor.FunctionExecutors.Tests;

/// <summary>
/// FEs that never start: the exact STARTUP_FAILED_* reason, every queued allocation blamed and failed with the matching
/// STARTUP_FAILED_* result, and those results acknowledged before the Server hears TERMINATED (it applies a termination
/// before the results of the same report).
/// </summary>
public abstract class StartupFailureTests<TProtocols>(SharedExecutorFixture<TProtocols> fixture)
    where TProtocols : IProtocols
{
    [Theory]
    [InlineData(TestFunctions.InitError, 300_000u, FunctionExecutorTerminationReason.StartupFailedFunctionError, AllocationFailureReason.StartupFailedFunctionError)]
    [InlineData(TestFunctions.InitHang, 1_500u, FunctionExecutorTerminationReason.StartupFailedFunctionTimeout, AllocationFailureReason.StartupFailedFunctionTimeout)]
    [InlineData(TestFunctions.InitCrash, 300_000u, FunctionExecutorTerminationReason.StartupFailedFunctionError, AllocationFailureReason.StartupFailedFunctionError)]
    public async Task StartupFailureTerminatesWithItsReasonAndBlamesTheQueuedAllocations(
        string function, uint initializationTimeoutMs, FunctionExecutorTerminationReason expectedReason, AllocationFailureReason expectedFailure)
    {
        var scenario = fixture.Scenario;
        var server = scenario.Server;

        // Allocations queued first arrive in the same desired state as their FE.
        var fe = scenario.NewFunctionExecutor(function, maxConcurrency: 2, initializationTimeoutMs: initializationTimeoutMs, application: "startup-" + function);
        var allocations = new[] { scenario.QueueAllocation(fe), scenario.QueueAllocation(fe) };
        var placedAt = DateTimeOffset.UtcNow;
        server.AddFunctionExecutor(scenario.ExecutorId, fe);

        var terminated = await server.WaitForStatusAsync(fe.Id, FunctionExecutorStatus.Terminated);
        var state = ReportLog.StateOf(terminated, fe.Id)!;
        Assert.Equal(expectedReason, state.TerminationReason);
        Assert.Empty(FunctionExecutorProcessTable.Find(fe.Id));
        Assert.DoesNotContain(server.Reports, r => ReportLog.StateOf(r, fe.Id)?.Status == FunctionExecutorStatus.Running);

        var elapsed = terminated.ReceivedAt - placedAt;
        Assert.True(elapsed < TimeSpan.FromSeconds(45), $"startup failure took {elapsed} to be reported");
        if (expectedReason == FunctionExecutorTerminationReason.StartupFailedFunctionTimeout)
        {
            Assert.True(elapsed >= TimeSpan.FromMilliseconds(initializationTimeoutMs), $"initialize was given up after {elapsed}, before its {initializationTimeoutMs} ms");
        }

        foreach (var allocation in allocations)
        {
            var result = await server.WaitForResultAsync(allocation.AllocationId, ReportLog.Patience);
            Assert.Equal(AllocationOutcomeCode.Failure, result.OutcomeCode);
            Assert.Equal(expectedFailure, result.FailureReason);
        }

        scenario.AssertTerminationBlames(state, [.. allocations.Select(a => a.AllocationId)]);
        scenario.AssertFailedAlongWithTheirFunctionExecutor(fe.Id, terminated, allocations.Select(a => a.AllocationId));
    }
}

/// <summary><see cref="StartupFailureTests{TProtocols}"/> on the diagonal, each on the shared executor of its combination.</summary>
public static class StartupFailureTests
{
    [Collection(SharedExecutorFixture.V1Fe012)]
    public sealed class V1Fe012(SharedExecutorFixture<Protocols.V1Fe012> fixture) : StartupFailureTests<Protocols.V1Fe012>(fixture);

    [Collection(SharedExecutorFixture.V2Fe013)]
    public sealed class V2Fe013(SharedExecutorFixture<Protocols.V2Fe013> fixture) : StartupFailureTests<Protocols.V2Fe013>(fixture);
}

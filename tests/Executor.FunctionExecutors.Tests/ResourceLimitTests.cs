using Executor.FunctionExecutors.Tests.Infrastructure;
using Executor.Protocol.ServerV1;
using Executor.TestHost;
using TestFunctionExecutor;

namespace Executor.FunctionExecutors.Tests;

/// <summary>
/// An executor that books cpu, memory and disk (production behaviour; the test host turns it off by default). Host
/// resources do not depend on the protocols, and the test reads the v1 blame list: v1 with FE 0.1.2.
/// </summary>
public sealed class EnforcingFixture() : ScenarioFixture(ProtocolCombination.V1Fe012)
{
    protected override IReadOnlyDictionary<string, string>? Environment => new Dictionary<string, string>
    {
        ["HOSTRESOURCES__EnforceFunctionExecutorResources"] = "true",
        ["HOSTRESOURCES__DISABLEGPUDETECTION"] = "true",
    };
}

public sealed class ResourceLimitTests(EnforcingFixture fixture) : IClassFixture<EnforcingFixture>
{
    [Fact]
    public async Task FunctionExecutorThatDoesNotFitIsRefusedWithTheShortfallAndOthersStillStart()
    {
        var scenario = fixture.Scenario;
        var server = scenario.Server;

        // 1 PiB of memory fits no test machine.
        var huge = scenario.NewFunctionExecutor(TestFunctions.Echo, application: "too-big", memoryMib: 1UL << 30);
        var queued = scenario.QueueAllocation(huge);
        server.AddFunctionExecutor(scenario.ExecutorId, huge);
        var terminated = await server.WaitForStatusAsync(huge.Id, FunctionExecutorStatus.Terminated);
        var state = ReportLog.StateOf(terminated, huge.Id)!;
        Assert.Equal(FunctionExecutorTerminationReason.StartupFailedInternalError, state.TerminationReason);
        Assert.Equal([queued.AllocationId], state.AllocationIdsCausedTermination);
        Assert.Equal(AllocationFailureReason.StartupFailedInternalError, server.GetAcceptedResult(queued.AllocationId)?.FailureReason);
        Assert.Contains($"{huge.Id} does not fit on this host: requested 1073741824 MiB memory", scenario.Executor.Output, StringComparison.Ordinal);

        // The refusal booked nothing: an FE of ordinary size starts and runs.
        var fe = scenario.AddFunctionExecutor(TestFunctions.Echo, application: "fits", memoryMib: 64);
        var allocation = scenario.AddAllocation(fe);
        Assert.Equal(AllocationOutcomeCode.Success, (await server.WaitForResultAsync(allocation.AllocationId, ReportLog.Patience)).OutcomeCode);
    }
}

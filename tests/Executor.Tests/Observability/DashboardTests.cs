using Executor.TestHost;
using Executor.Testing;
using TestFunctionExecutor;
using Xunit;

namespace Executor.Tests.Observability;

/// <summary>The Orleans dashboard is a development tool: on in Development, absent in Production.</summary>
public sealed class DashboardTests
{
    [Fact]
    public async Task DevelopmentServesTheDashboardWithTheExecutorAndFunctionExecutorGrains()
    {
        await using var scenario = await ExecutorScenario.StartAsync(environment: new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Development" });
        var fe = scenario.AddFunctionExecutor(TestFunctions.Echo);
        await scenario.Server.WaitForResultAsync(scenario.AddAllocation(fe).AllocationId, TimeSpan.FromSeconds(60));

        var page = await scenario.Executor.GetAsync("/dashboard/");
        Assert.Equal(200, page.Status);
        Assert.Contains("Orleans Dashboard", page.Body, StringComparison.Ordinal);

        await Eventually.TrueAsync(
            async () =>
            {
                var counters = (await scenario.Executor.GetAsync("/dashboard/DashboardCounters")).Body;
                return counters.Contains("Executor.Reconciliation.ExecutorGrain", StringComparison.Ordinal)
                    && counters.Contains("Executor.FunctionExecutors.FunctionExecutorGrain", StringComparison.Ordinal);
            },
            TimeSpan.FromSeconds(30),
            "dashboard lists the executor grain and the FE grain");
    }

    [Fact]
    public async Task ProductionHasNoDashboard()
    {
        await using var scenario = await ExecutorScenario.StartAsync(environment: new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Production" });
        Assert.Equal(404, (await scenario.Executor.GetAsync("/dashboard/")).Status);
        Assert.Equal(404, (await scenario.Executor.GetAsync("/dashboard/DashboardCounters")).Status);
    }
}

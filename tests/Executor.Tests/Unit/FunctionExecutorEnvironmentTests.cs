using Executor.FunctionExecutors.Processes;
using Executor.TestHost;
using TestFunctionExecutor;
using Xunit;

namespace Executor.Tests.Unit;

/// <summary>The test host reaches test FEs through the executor's passthrough list without losing what the list held.</summary>
public sealed class FunctionExecutorEnvironmentTests
{
    [Fact]
    public void TheTestHostsCopyOfTheDefaultPassthroughIsTheExecutors() =>
        Assert.Equal(FunctionExecutorProcessOptions.DefaultEnvironmentPassthrough, FunctionExecutorEnvironment.DefaultPassthrough);

    [Fact]
    public void WithoutConfiguredSlotsTheDefaultsComeFirstAndTheProtocolVariableLast()
    {
        var environment = FunctionExecutorEnvironment.WithProtocol(new Dictionary<string, string> { ["OTHER"] = "x" }, TestFunctions.Protocol013);

        var slots = Slots(environment);
        Assert.Equal([.. FunctionExecutorProcessOptions.DefaultEnvironmentPassthrough, TestFunctions.ProtocolVariable], slots);
        Assert.Equal(TestFunctions.Protocol013, environment[TestFunctions.ProtocolVariable]);
        Assert.Equal("x", environment["OTHER"]);
    }

    [Fact]
    public void ConfiguredSlotsAreKeptAndTheProtocolVariableTakesTheNextOne()
    {
        var environment = FunctionExecutorEnvironment.WithProtocol(
            new Dictionary<string, string> { ["FUNCTIONEXECUTOR__ENVIRONMENTPASSTHROUGH__0"] = "PATH", ["FunctionExecutor__EnvironmentPassthrough__2"] = "MARKER" },
            TestFunctions.Protocol012);

        Assert.Equal("PATH", environment["FUNCTIONEXECUTOR__ENVIRONMENTPASSTHROUGH__0"]);
        Assert.Equal("MARKER", environment["FunctionExecutor__EnvironmentPassthrough__2"]);
        Assert.Equal(TestFunctions.ProtocolVariable, environment["FUNCTIONEXECUTOR__ENVIRONMENTPASSTHROUGH__3"]);
        Assert.Equal(TestFunctions.Protocol012, environment[TestFunctions.ProtocolVariable]);
        Assert.Equal(4, environment.Count);
    }

    private static List<string> Slots(IReadOnlyDictionary<string, string> environment) =>
    [
        .. environment
            .Where(e => e.Key.StartsWith("FUNCTIONEXECUTOR__ENVIRONMENTPASSTHROUGH__", StringComparison.Ordinal))
            .OrderBy(e => int.Parse(e.Key["FUNCTIONEXECUTOR__ENVIRONMENTPASSTHROUGH__".Length..], System.Globalization.CultureInfo.InvariantCulture))
            .Select(e => e.Value),
    ];
}

using Executor.Protocol.ServerV1;
using Xunit;

namespace FakeIndexifyServer.Tests;

public sealed class PlacementRulesTests
{
    private static readonly FunctionRef Function = new() { Namespace = "ns", ApplicationName = "app", FunctionName = "fn" };

    [Fact]
    public void An_empty_allowlist_allows_everything_and_the_allowlist_version_is_ignored()
    {
        var executor = new ExecutorState { Version = "1.0" };
        Assert.True(PlacementRules.CanPlaceFunction(executor, Function));

        executor.AllowedFunctions.Add(new AllowedFunction { Namespace = "ns", FunctionName = "fn", ApplicationVersion = "other" });
        Assert.True(PlacementRules.CanPlaceFunction(executor, Function));

        executor.AllowedFunctions[0].FunctionName = "nope";
        Assert.False(PlacementRules.CanPlaceFunction(executor, Function));
    }

    [Fact]
    public void Sandbox_only_executors_get_no_function_executors()
    {
        Assert.False(PlacementRules.CanPlaceFunction(new ExecutorState { Version = "0.2.0" }, Function));
    }

    [Fact]
    public void Every_label_constraint_must_hold_and_a_missing_key_fails()
    {
        var executor = new ExecutorState { Version = "1.0" };
        executor.Labels.Add("zone", "a");

        Assert.True(PlacementRules.CanPlaceFunction(executor, Function, ["zone==a"]));
        Assert.True(PlacementRules.CanPlaceFunction(executor, Function, ["zone!=b"]));
        Assert.False(PlacementRules.CanPlaceFunction(executor, Function, ["zone==a", "gpu!=none"]));
    }
}

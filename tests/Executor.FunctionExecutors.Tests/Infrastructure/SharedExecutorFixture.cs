using System.Globalization;

namespace Executor.FunctionExecutors.Tests.Infrastructure;

/// <summary>
/// The executor most tests share (one process start instead of one per class; each test uses its own applications):
/// two marker variables in its environment, one of them passed through to FEs by configuration; GPU detection off;
/// a hung FE declared unhealthy after <see cref="TimeoutsBeforeUnhealthy"/> health-check timeouts (1 s interval and
/// deadline come from ExecutorProcess).
/// </summary>
public sealed class SharedExecutorFixture : ScenarioFixture
{
    public const string Collection = "shared executor";
    public const string PassedVariable = "FE_TEST_PASSED_MARKER";
    public const string HiddenVariable = "FE_TEST_HIDDEN_MARKER";
    public const int TimeoutsBeforeUnhealthy = 2;

    public string PassedValue { get; } = Guid.NewGuid().ToString("N");

    protected override IReadOnlyDictionary<string, string>? Environment => new Dictionary<string, string>
    {
        [PassedVariable] = PassedValue,
        [HiddenVariable] = "must-not-reach-user-code",
        ["FUNCTIONEXECUTOR__ENVIRONMENTPASSTHROUGH__0"] = "PATH",
        ["FUNCTIONEXECUTOR__ENVIRONMENTPASSTHROUGH__1"] = "HOME",
        ["FUNCTIONEXECUTOR__ENVIRONMENTPASSTHROUGH__2"] = PassedVariable,
        // Whatever GPUs this machine has, the FE environment must not depend on them here.
        ["HOSTRESOURCES__DISABLEGPUDETECTION"] = "true",
        ["EXECUTOR__HealthCheckTimeoutsBeforeUnhealthy"] = TimeoutsBeforeUnhealthy.ToString(CultureInfo.InvariantCulture),
    };
}

[CollectionDefinition(SharedExecutorFixture.Collection)]
public sealed class SharedExecutorCollection : ICollectionFixture<SharedExecutorFixture>;

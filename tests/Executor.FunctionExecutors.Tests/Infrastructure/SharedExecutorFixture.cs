using System.Globalization;
using Executor.TestHost;

namespace Executor.FunctionExecutors.Tests.Infrastructure;

/// <summary>
/// The executor most tests share (one process start per protocol combination instead of one per class; each test uses
/// its own applications): two marker variables in its environment, one of them passed through to FEs by configuration;
/// GPU detection off; a hung FE declared unhealthy after <see cref="SharedExecutorFixture.TimeoutsBeforeUnhealthy"/>
/// health-check timeouts (1 s interval and deadline come from ExecutorProcess).
/// </summary>
public sealed class SharedExecutorFixture<TProtocols>() : ScenarioFixture(TProtocols.Combination)
    where TProtocols : IProtocols
{
    public string PassedValue { get; } = Guid.NewGuid().ToString("N");

    protected override IReadOnlyDictionary<string, string>? Environment => new Dictionary<string, string>
    {
        [SharedExecutorFixture.PassedVariable] = PassedValue,
        [SharedExecutorFixture.HiddenVariable] = "must-not-reach-user-code",
        ["FUNCTIONEXECUTOR__ENVIRONMENTPASSTHROUGH__0"] = "PATH",
        ["FUNCTIONEXECUTOR__ENVIRONMENTPASSTHROUGH__1"] = "HOME",
        ["FUNCTIONEXECUTOR__ENVIRONMENTPASSTHROUGH__2"] = SharedExecutorFixture.PassedVariable,
        // Whatever GPUs this machine has, the FE environment must not depend on them here.
        ["HOSTRESOURCES__DISABLEGPUDETECTION"] = "true",
        ["EXECUTOR__HealthCheckTimeoutsBeforeUnhealthy"] = SharedExecutorFixture.TimeoutsBeforeUnhealthy.ToString(CultureInfo.InvariantCulture),
    };
}

/// <summary>What the shared executors have in common, and their collections: one per combination of the diagonal.</summary>
public static class SharedExecutorFixture
{
    public const string V1Fe012 = "shared executor, v1 + FE 0.1.2";
    public const string V2Fe013 = "shared executor, v2 + FE 0.1.3";
    public const string PassedVariable = "FE_TEST_PASSED_MARKER";
    public const string HiddenVariable = "FE_TEST_HIDDEN_MARKER";
    public const int TimeoutsBeforeUnhealthy = 2;
}

[CollectionDefinition(SharedExecutorFixture.V1Fe012)]
public sealed class SharedExecutorV1Fe012Collection : ICollectionFixture<SharedExecutorFixture<Protocols.V1Fe012>>;

[CollectionDefinition(SharedExecutorFixture.V2Fe013)]
public sealed class SharedExecutorV2Fe013Collection : ICollectionFixture<SharedExecutorFixture<Protocols.V2Fe013>>;

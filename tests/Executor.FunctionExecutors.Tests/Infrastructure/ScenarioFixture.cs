using Executor.TestHost;

namespace Executor.FunctionExecutors.Tests.Infrastructure;

/// <summary>One executor (+ fake Server) shared by the tests of a class; each test uses its own FEs and applications.</summary>
public abstract class ScenarioFixture(ProtocolCombination protocols) : IAsyncLifetime
{
    private ExecutorScenario? _scenario;

    public ExecutorScenario Scenario => _scenario ?? throw new InvalidOperationException("fixture not initialized");

    /// <summary>Extra environment of the executor process.</summary>
    protected virtual IReadOnlyDictionary<string, string>? Environment => null;

    public async Task InitializeAsync() => _scenario = await ExecutorScenario.StartAsync(environment: Environment, protocols: protocols);

    public virtual async Task DisposeAsync()
    {
        if (_scenario is not null)
        {
            var executorId = _scenario.ExecutorId;
            await _scenario.DisposeAsync();
            FunctionExecutorProcessTable.KillLeftoversOf(executorId);
        }
    }
}

using Executor.TestHost;
using FakeIndexifyServer;
using Xunit;

namespace Executor.Allocations.Tests.Infrastructure;

/// <summary>
/// One executor + fake Server shared by the tests of a class (they run one after another): starting an executor
/// costs seconds on a loaded machine. Tests stay independent by using their own FEs (distinct applications) and
/// requests, and by scoping every observation to them. Each protocol combination a class runs under gets its own.
/// </summary>
public abstract class ScenarioFixture(ProtocolCombination protocols) : IAsyncLifetime
{
    private ExecutorScenario? _scenario;

    public ExecutorScenario Scenario => _scenario ?? throw new InvalidOperationException("the scenario is not started");

    public ProtocolCombination Protocols => protocols;

    protected virtual FakeServerOptions? ServerOptions => null;

    protected virtual IReadOnlyDictionary<string, string>? Environment => null;

    public async Task InitializeAsync() => _scenario = await ExecutorScenario.StartAsync(ServerOptions, environment: Environment, protocols: protocols);

    public async Task DisposeAsync()
    {
        if (_scenario is not null)
        {
            await _scenario.DisposeAsync();
        }
    }
}

/// <summary>Default executor and fake Server under <typeparamref name="TProtocols"/>.</summary>
public sealed class DefaultScenarioFixture<TProtocols>() : ScenarioFixture(TProtocols.Combination)
    where TProtocols : IProtocols;

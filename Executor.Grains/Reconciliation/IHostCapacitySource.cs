using Executor.Server;

namespace Executor.Reconciliation;

/// <summary>Host totals measured at startup (and refreshed on the resource timer), as the report carries them.</summary>
public interface IHostCapacitySource
{
    HostCapacity Total { get; }

    HostCapacity FunctionExecutorTotal { get; }
}

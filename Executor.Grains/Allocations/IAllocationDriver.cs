using Executor.Model;

namespace Executor.Allocations;

/// <summary>
/// One FE protocol's way of running an allocation the FE has accepted (create_allocation) to its finish. The
/// runner around it prepares inputs, builds the outcome and cleans up; the driver owns the conversation.
/// </summary>
public interface IAllocationDriver
{
    /// <summary>Runs until the FE finishes the allocation; null when the allocation timed out first.</summary>
    Task<AllocationFinish?> RunAsync();

    /// <summary>A watched call finished; <paramref name="watcherId"/> is the id the driver registered the watch under.</summary>
    void DeliverResult(string watcherId, FunctionCallResultSpec result);

    /// <summary>delete_allocation, once the FE is ready to forget the allocation.</summary>
    Task DeleteAsync(CancellationToken cancellationToken);

    /// <summary>Ends whatever the driver still runs and withdraws its watches; waits for work in flight.</summary>
    Task CloseAsync();
}

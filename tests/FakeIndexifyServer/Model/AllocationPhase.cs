namespace FakeIndexifyServer.Model;

internal enum AllocationPhase
{
    /// <summary>Waiting for a free slot on its FE (max_concurrency reached).</summary>
    Queued,

    /// <summary>In the executor's allocation index: listed in desired states while its FE is.</summary>
    Placed,

    /// <summary>A result was accepted.</summary>
    Completed,

    /// <summary>Failed or cancelled by the server (executor removed, FE terminated, cancellation).</summary>
    FailedByServer,
}

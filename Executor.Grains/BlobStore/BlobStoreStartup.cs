using Microsoft.Extensions.Hosting;

namespace Executor.BlobStore;

/// <summary>
/// Builds the BLOB store when the host starts, so options are validated and the unconfined-access warning
/// appears at startup rather than at the first allocation.
/// </summary>
internal sealed class BlobStoreStartup(IBlobStore blobStore) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        GC.KeepAlive(blobStore);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

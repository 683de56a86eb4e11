using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Executor.HostResources;

/// <summary>
/// The executor-wide book of what live FEs hold: a <see cref="ResourceLedger"/> over the FE totals (measured once, at
/// first use) with a <see cref="GpuAllocator"/> over the offered GPUs. An FE reserves before its process is launched
/// and releases once the process is gone, so the Server's view of free capacity (freed when it sees TERMINATED or the
/// FE vanish) never runs ahead of ours. Thread-safe.
/// </summary>
public sealed class FunctionExecutorResourcePool(
    IHostResourcesProvider provider,
    IOptions<HostResourcesOptions> options,
    ILogger<FunctionExecutorResourcePool> logger)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile Book? _book;

    /// <summary>Books <paramref name="request"/> for the FE, or refuses with every shortfall spelled out.</summary>
    public async Task<ResourceReservation> ReserveAsync(string functionExecutorId, FunctionExecutorResourceRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var book = await GetBookAsync(cancellationToken).ConfigureAwait(false);
        var reservation = book.Ledger.TryReserve(functionExecutorId, request);
        if (reservation.Succeeded)
        {
            logger.ResourcesReserved(functionExecutorId, request.CpuMsPerSec, request.MemoryBytes / Mebibytes.Bytes, request.DiskBytes / Mebibytes.Bytes,
                string.Join(',', reservation.Gpus.Select(g => g.Uuid)));
        }
        else
        {
            logger.ResourcesRefused(functionExecutorId, reservation.FailureReason ?? "unknown");
        }

        return reservation;
    }

    /// <summary>Frees what the FE held (idempotent). False when it held nothing.</summary>
    public bool Release(string functionExecutorId)
    {
        var released = _book?.Ledger.Release(functionExecutorId) ?? false;
        if (released)
        {
            logger.ResourcesReleased(functionExecutorId);
        }

        return released;
    }

    /// <summary>
    /// Variables restricting an FE to <paramref name="gpus"/>. On a host with GPUs an FE that asked for none sees none;
    /// on a host without GPUs nothing is set, so ordinary FEs keep a clean environment.
    /// </summary>
    public IReadOnlyDictionary<string, string> VisibilityEnvironment(IReadOnlyList<GpuDevice> gpus)
    {
        ArgumentNullException.ThrowIfNull(gpus);
        return _book is { HostHasGpus: true } || gpus.Count > 0
            ? GpuVisibility.EnvironmentFor(gpus, options.Value.GpuVisibilityMode)
            : new Dictionary<string, string>(StringComparer.Ordinal);
    }

    private async Task<Book> GetBookAsync(CancellationToken cancellationToken)
    {
        if (_book is { } book)
        {
            return book;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_book is null)
            {
                var totals = await provider.GetFunctionExecutorTotalsAsync(cancellationToken).ConfigureAwait(false);
                var gpus = new GpuAllocator(totals.OfferedGpus);
                if (!options.Value.EnforceFunctionExecutorResources)
                {
                    // Only GPUs stay booked; halves of the maximum keep the ledger's sums from overflowing.
                    totals = totals with { CpuCount = int.MaxValue, MemoryBytes = ulong.MaxValue / 2, DiskBytes = ulong.MaxValue / 2 };
                }

                _book = new Book(new ResourceLedger(totals, gpus), totals.Gpus.Count > 0);
            }

            return _book;
        }
        finally
        {
            _gate.Release();
        }
    }

    private sealed record Book(ResourceLedger Ledger, bool HostHasGpus);
}

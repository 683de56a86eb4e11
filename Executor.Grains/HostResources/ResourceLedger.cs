using System.Globalization;

namespace Executor.HostResources;

/// <summary>
/// Books the CPU, memory and disk of running FEs against the FE totals (and their GPUs through a
/// <see cref="GpuAllocator"/>), so the executor can refuse an FE the host cannot fit instead of over-committing as
/// upstream did. Thread-safe; a reservation is all-or-nothing.
/// </summary>
public sealed class ResourceLedger
{
    private const ulong CpuMsPerCore = 1000;

    private readonly object _lock = new();
    private readonly Dictionary<string, FunctionExecutorResourceRequest> _reservations = new(StringComparer.Ordinal);
    private readonly GpuAllocator? _gpus;
    private ulong _cpuUsed;
    private ulong _memoryUsed;
    private ulong _diskUsed;

    /// <param name="functionExecutorTotals">The FE budget (host totals minus overheads).</param>
    /// <param name="gpus">Allocator for the offered GPUs; null when the host offers none.</param>
    public ResourceLedger(HostResourcesSnapshot functionExecutorTotals, GpuAllocator? gpus = null)
    {
        ArgumentNullException.ThrowIfNull(functionExecutorTotals);
        Total = new ResourceAmounts(
            (ulong)Math.Max(0, functionExecutorTotals.CpuCount) * CpuMsPerCore,
            functionExecutorTotals.MemoryBytes,
            functionExecutorTotals.DiskBytes);
        _gpus = gpus;
    }

    public ResourceAmounts Total { get; }

    public ResourceAmounts Used
    {
        get
        {
            lock (_lock)
            {
                return new ResourceAmounts(_cpuUsed, _memoryUsed, _diskUsed);
            }
        }
    }

    public ResourceAmounts Free
    {
        get
        {
            lock (_lock)
            {
                return new ResourceAmounts(Total.CpuMsPerSec - _cpuUsed, Total.MemoryBytes - _memoryUsed, Total.DiskBytes - _diskUsed);
            }
        }
    }

    /// <summary>
    /// Reserves the request for the FE, or refuses with every shortfall spelled out
    /// (e.g. "requested 4096 MiB memory, 1024 MiB free"). Repeating an identical request for an FE that already holds
    /// it succeeds again (reconciliation may retry); a different request for it is refused.
    /// </summary>
    public ResourceReservation TryReserve(string functionExecutorId, FunctionExecutorResourceRequest request)
    {
        ArgumentException.ThrowIfNullOrEmpty(functionExecutorId);
        ArgumentNullException.ThrowIfNull(request);

        lock (_lock)
        {
            if (_reservations.TryGetValue(functionExecutorId, out var existing))
            {
                return existing == request
                    ? ResourceReservation.Granted(_gpus?.AllocatedTo(functionExecutorId) ?? [])
                    : ResourceReservation.Refused($"function executor {functionExecutorId} already holds a different reservation");
            }

            var shortfalls = new List<string>();
            var cpuFree = Total.CpuMsPerSec - _cpuUsed;
            if (request.CpuMsPerSec > cpuFree)
            {
                shortfalls.Add(Invariant($"requested {request.CpuMsPerSec} cpu_ms_per_sec, {cpuFree} free"));
            }

            var memoryFree = Total.MemoryBytes - _memoryUsed;
            if (request.MemoryBytes > memoryFree)
            {
                shortfalls.Add($"requested {Mebibytes.Format(request.MemoryBytes)} memory, {Mebibytes.Format(memoryFree)} free");
            }

            var diskFree = Total.DiskBytes - _diskUsed;
            if (request.DiskBytes > diskFree)
            {
                shortfalls.Add($"requested {Mebibytes.Format(request.DiskBytes)} disk, {Mebibytes.Format(diskFree)} free");
            }

            if (request.GpuCount < 0)
            {
                shortfalls.Add(Invariant($"requested a negative GPU count ({request.GpuCount})"));
            }
            else if (request.GpuCount > 0 && !request.GpuModel.IsUsable())
            {
                shortfalls.Add(Invariant($"requested {request.GpuCount} GPU(s) of unknown model {request.GpuModel}"));
            }
            else if (request.GpuCount > 0 && (_gpus?.AvailableOf(request.GpuModel) ?? 0) < request.GpuCount)
            {
                shortfalls.Add(Invariant($"requested {request.GpuCount} GPU(s) of model {request.GpuModel}, {_gpus?.AvailableOf(request.GpuModel) ?? 0} free"));
            }

            if (shortfalls.Count > 0)
            {
                return ResourceReservation.Refused(string.Join("; ", shortfalls));
            }

            IReadOnlyList<GpuDevice> gpus = [];
            if (request.GpuCount > 0 && !_gpus!.TryAllocate(functionExecutorId, request.GpuCount, request.GpuModel, out gpus))
            {
                // The allocator is shared and may have been used directly in between.
                return ResourceReservation.Refused(
                    Invariant($"requested {request.GpuCount} GPU(s) of model {request.GpuModel}, {_gpus.AvailableOf(request.GpuModel)} free"));
            }

            _cpuUsed += request.CpuMsPerSec;
            _memoryUsed += request.MemoryBytes;
            _diskUsed += request.DiskBytes;
            _reservations[functionExecutorId] = request;
            return ResourceReservation.Granted(gpus);
        }
    }

    /// <summary>Frees everything the FE held (on termination). False when it held nothing.</summary>
    public bool Release(string functionExecutorId)
    {
        lock (_lock)
        {
            if (!_reservations.Remove(functionExecutorId, out var request))
            {
                return false;
            }

            _cpuUsed -= request.CpuMsPerSec;
            _memoryUsed -= request.MemoryBytes;
            _diskUsed -= request.DiskBytes;
            _gpus?.Release(functionExecutorId);
            return true;
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

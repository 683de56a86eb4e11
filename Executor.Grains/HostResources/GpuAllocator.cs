namespace Executor.HostResources;

/// <summary>
/// Hands out whole GPUs to Function Executors. A GPU belongs to at most one FE at a time; an FE holds one
/// allocation until <see cref="Release"/>. Thread-safe. Upstream had an allocator but never called it, so every FE
/// saw every GPU; this one exists to give each FE its own devices.
/// </summary>
public sealed class GpuAllocator
{
    private readonly object _lock = new();
    private readonly List<GpuDevice> _gpus;
    private readonly Dictionary<string, IReadOnlyList<GpuDevice>> _byFunctionExecutor = new(StringComparer.Ordinal);
    private readonly HashSet<string> _taken = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Only usable (known-model) GPUs are managed; duplicates by index or uuid are ignored.</summary>
    public GpuAllocator(IEnumerable<GpuDevice> gpus)
    {
        ArgumentNullException.ThrowIfNull(gpus);
        _gpus = [];
        foreach (var gpu in gpus.Where(g => g.Model.IsUsable()).OrderBy(g => g.Index))
        {
            if (!_gpus.Any(g => g.Index == gpu.Index || string.Equals(g.Uuid, gpu.Uuid, StringComparison.OrdinalIgnoreCase)))
            {
                _gpus.Add(gpu);
            }
        }
    }

    public int Total => _gpus.Count;

    public int Available
    {
        get
        {
            lock (_lock)
            {
                return _gpus.Count - _taken.Count;
            }
        }
    }

    public int AvailableOf(GpuModel model)
    {
        lock (_lock)
        {
            return _gpus.Count(g => g.Model == model && !_taken.Contains(g.Uuid));
        }
    }

    /// <summary>The GPUs held by an FE (empty if none).</summary>
    public IReadOnlyList<GpuDevice> AllocatedTo(string functionExecutorId)
    {
        lock (_lock)
        {
            return _byFunctionExecutor.TryGetValue(functionExecutorId, out var held) ? held : [];
        }
    }

    /// <summary>
    /// Gives <paramref name="count"/> free GPUs of <paramref name="model"/> (lowest indices first) to the FE. Fails,
    /// taking nothing, when there are not enough or the FE already holds GPUs. A count of 0 succeeds with no GPUs.
    /// </summary>
    public bool TryAllocate(string functionExecutorId, int count, GpuModel model, out IReadOnlyList<GpuDevice> gpus)
    {
        ArgumentException.ThrowIfNullOrEmpty(functionExecutorId);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        gpus = [];
        if (count == 0)
        {
            return true;
        }

        lock (_lock)
        {
            if (_byFunctionExecutor.ContainsKey(functionExecutorId))
            {
                return false;
            }

            var free = _gpus.Where(g => g.Model == model && !_taken.Contains(g.Uuid)).Take(count).ToList();
            if (free.Count < count)
            {
                return false;
            }

            foreach (var gpu in free)
            {
                _taken.Add(gpu.Uuid);
            }

            _byFunctionExecutor[functionExecutorId] = free;
            gpus = free;
            return true;
        }
    }

    /// <summary>Returns the FE's GPUs to the pool (on FE termination); returns what was released, empty if nothing.</summary>
    public IReadOnlyList<GpuDevice> Release(string functionExecutorId)
    {
        lock (_lock)
        {
            if (!_byFunctionExecutor.Remove(functionExecutorId, out var held))
            {
                return [];
            }

            foreach (var gpu in held)
            {
                _taken.Remove(gpu.Uuid);
            }

            return held;
        }
    }
}

namespace FakeIndexifyServer.Faults;

/// <summary>Faults for the next N calls of one RPC, consumed in order. Thread-safe.</summary>
internal sealed class FaultQueue
{
    private readonly object _gate = new();
    private readonly LinkedList<(InjectedFault Fault, int Remaining)> _pending = new();

    public void Add(InjectedFault fault, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        lock (_gate)
        {
            _pending.AddLast((fault, count));
        }
    }

    public InjectedFault? TakeNext()
    {
        lock (_gate)
        {
            if (_pending.First is not { } first)
            {
                return null;
            }

            var (fault, remaining) = first.Value;
            if (remaining <= 1)
            {
                _pending.RemoveFirst();
            }
            else
            {
                first.Value = (fault, remaining - 1);
            }

            return fault;
        }
    }

    public int PendingCount
    {
        get
        {
            lock (_gate)
            {
                return _pending.Sum(entry => entry.Remaining);
            }
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _pending.Clear();
        }
    }
}

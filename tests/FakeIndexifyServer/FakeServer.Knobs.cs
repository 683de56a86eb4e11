namespace FakeIndexifyServer;

/// <summary>Behaviour knobs tests may change at any time; initial values come from <see cref="FakeServerOptions"/>.</summary>
public sealed partial class FakeServer
{
    private TimeSpan _livenessTimeout;
    private bool _repeatClockAcrossChanges;
    private TimeSpan _firstSnapshotDelay;
    private bool _adoptUntrackedFunctionExecutors;
    private bool _enforceFunctionExecutorCapacity;

    /// <summary>Deadline after each valid report (applies from the next report on).</summary>
    public TimeSpan LivenessTimeout
    {
        get { lock (_gate) { return _livenessTimeout; } }
        set { lock (_gate) { _livenessTimeout = value; } }
    }

    /// <summary>See <see cref="FakeServerOptions.RepeatClockAcrossChanges"/>.</summary>
    public bool RepeatClockAcrossChanges
    {
        get { lock (_gate) { return _repeatClockAcrossChanges; } }
        set { lock (_gate) { _repeatClockAcrossChanges = value; } }
    }

    /// <summary>Delay before a newly opened stream sends its first snapshot.</summary>
    public TimeSpan FirstSnapshotDelay
    {
        get { lock (_gate) { return _firstSnapshotDelay; } }
        set { lock (_gate) { _firstSnapshotDelay = value; } }
    }

    public bool AdoptUntrackedFunctionExecutors
    {
        get { lock (_gate) { return _adoptUntrackedFunctionExecutors; } }
        set { lock (_gate) { _adoptUntrackedFunctionExecutors = value; } }
    }

    /// <summary>When set, at most max_concurrency allocations per FE are placed at a time; the rest wait.</summary>
    public bool EnforceFunctionExecutorCapacity
    {
        get { lock (_gate) { return _enforceFunctionExecutorCapacity; } }
        set
        {
            lock (_gate)
            {
                _enforceFunctionExecutorCapacity = value;
                PlaceQueuedAllocations();
                PublishChanges();
            }

            _changes.Pulse();
        }
    }
}

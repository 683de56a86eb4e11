namespace FakeIndexifyServer;

/// <summary>Behaviour knobs tests may change at any time; initial values come from <see cref="FakeServerOptions"/>.</summary>
public sealed partial class FakeServer
{
    private TimeSpan _livenessTimeout;
    private bool _repeatClockAcrossChanges;
    private TimeSpan _firstSnapshotDelay;
    private bool _adoptUntrackedFunctionExecutors;
    private bool _enforceFunctionExecutorCapacity;
    private TimeSpan _pollHoldTimeout;
    private bool _emitKillAllocationOnCancel;

    /// <summary>The protocol this server speaks (fixed at start).</summary>
    public ServerProtocol Protocol => _options.Protocol;

    /// <summary>v2: how long an empty poll is held (applies to polls arriving from now on). See <see cref="FakeServerOptions.PollHoldTimeout"/>.</summary>
    public TimeSpan PollHoldTimeout
    {
        get { lock (_gate) { return _pollHoldTimeout; } }
        set { lock (_gate) { _pollHoldTimeout = value; } }
    }

    /// <summary>v2: announce test cancellations with KillAllocation. See <see cref="FakeServerOptions.EmitKillAllocationOnCancel"/>.</summary>
    public bool EmitKillAllocationOnCancel
    {
        get { lock (_gate) { return _emitKillAllocationOnCancel; } }
        set { lock (_gate) { _emitKillAllocationOnCancel = value; } }
    }

    /// <summary>Deadline after each valid report, v2 heartbeat or poll (applies from the next one on).</summary>
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

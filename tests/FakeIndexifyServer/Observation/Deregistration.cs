namespace FakeIndexifyServer;

public enum DeregistrationCause
{
    /// <summary>The liveness deadline passed.</summary>
    LivenessLapsed,

    /// <summary>The executor reported STOPPED.</summary>
    Stopped,

    /// <summary>It did not report again within the startup timeout after a simulated restart.</summary>
    StartupReaper,

    /// <summary>A test asked for it.</summary>
    Forced,
}

/// <summary>An executor being tombstoned.</summary>
public sealed record Deregistration(long Sequence, DateTimeOffset At, string ExecutorId, DeregistrationCause Cause);

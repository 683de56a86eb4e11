using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace TestFunctionExecutor;

/// <summary>Kestrel limits shared by the FE process and the in-process FE.</summary>
internal static class KestrelConnectionLimits
{
    /// <summary>
    /// How long an HTTP/2 connection may sit without a stream before Kestrel closes it. The executor keeps one channel
    /// for the FE's whole life, possibly idle between allocations, so this is long. It must stay finite:
    /// Kestrel stores <see cref="Timeout.InfiniteTimeSpan"/> as <see cref="TimeSpan.MaxValue"/> and adds it to the
    /// current timestamp, which overflows, so every idle connection got GOAWAY(NO_ERROR) at the next one-second
    /// heartbeat; a call started in that instant failed with INTERNAL (seen once in CI).
    /// </summary>
    public static readonly TimeSpan IdleConnectionTimeout = TimeSpan.FromDays(30);

    /// <summary>Every allocation's streams share one channel (the real FE allows 100+ concurrent RPCs), which may idle for long.</summary>
    public static void Apply(KestrelServerLimits limits)
    {
        limits.Http2.MaxStreamsPerConnection = 1000;
        limits.KeepAliveTimeout = IdleConnectionTimeout;
    }
}

using Microsoft.Extensions.Logging;

namespace FakeIndexifyServer;

/// <summary>
/// Start-up settings of a <see cref="FakeServer"/>. Most behaviour knobs can also be changed later on the server itself.
/// A record, so a test host can derive variants (<c>options with { Protocol = ServerProtocol.V2 }</c>).
/// </summary>
public sealed record FakeServerOptions
{
    /// <summary>Serve TLS with this certificate (with private key) instead of plaintext h2c.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? TlsCertificate { get; init; }

    /// <summary>With <see cref="TlsCertificate"/>: require client certificates issued by this authority (mTLS).</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? ClientCertificateAuthority { get; init; }

    /// <summary>Port to bind on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; init; }

    /// <summary>Deadline after the last valid report before the executor is deregistered. The real server uses 30 s.</summary>
    public TimeSpan LivenessTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often deadlines are checked. The real server deregisters within about 1 s of a deadline.</summary>
    public TimeSpan LivenessCheckInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// When true (the real server's behaviour), the clock only advances on executor-driven events, so snapshots
    /// caused by scripted changes repeat the previous clock with different content. When false every content change advances it.
    /// </summary>
    public bool RepeatClockAcrossChanges { get; init; } = true;

    /// <summary>Clock value the fake starts from (the real server's is persisted and usually large).</summary>
    public ulong InitialClock { get; init; }

    /// <summary>Delay before a newly opened stream sends its first snapshot, mimicking the asynchronous processor.</summary>
    public TimeSpan FirstSnapshotDelay { get; init; } = TimeSpan.Zero;

    /// <summary>Adopt live FEs the executor reports but the fake never placed (after a restart or re-registration).</summary>
    public bool AdoptUntrackedFunctionExecutors { get; init; } = true;

    /// <summary>Optional filter deciding whether an untracked FE is a "known function" worth adopting.</summary>
    public Func<Executor.Protocol.ServerV1.FunctionExecutorDescription, bool>? IsKnownFunction { get; init; }

    /// <summary>Place at most max_concurrency allocations per FE at a time (the server's queue_size is 1).</summary>
    public bool EnforceFunctionExecutorCapacity { get; init; } = true;

    /// <summary>After a simulated restart, executors that still own allocations but do not report again in time are deregistered.</summary>
    public TimeSpan StartupExecutorTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// gRPC message size limit in both directions. Null picks the protocol's: 256 MiB for v1 (the real server allows
    /// 4 GiB, more than a test needs) and the real v2 server's 32 MiB.
    /// </summary>
    public int? MaxMessageSizeBytes { get; init; }

    /// <summary>The protocol served; the other protocol's RPCs answer UNIMPLEMENTED, as on the real servers.</summary>
    public ServerProtocol Protocol { get; init; } = ServerProtocol.V1;

    /// <summary>v2: how long an empty poll is held before it returns an empty list. The real server holds 300 s.</summary>
    public TimeSpan PollHoldTimeout { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>v2: byte budget of one poll response; at least one item is always returned. The real server's is 8 MiB.</summary>
    public int MaxPollResponseBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>
    /// v2: send KillAllocation when a test cancels a placed allocation. The real server never emits it (it drops the
    /// allocation silently), so this is off by default.
    /// </summary>
    public bool EmitKillAllocationOnCancel { get; init; }

    /// <summary>
    /// Blob store root used in URIs handed out (code payloads, request URI prefixes), e.g. "s3://bucket".
    /// When null, a file:// root over <see cref="BlobStoreDirectory"/> is used.
    /// </summary>
    public string? BlobStoreUrl { get; init; }

    /// <summary>Local directory behind a file:// blob root. When both this and <see cref="BlobStoreUrl"/> are null the server creates (and deletes) a temporary one.</summary>
    public string? BlobStoreDirectory { get; init; }

    /// <summary>Keep every snapshot written to a stream in <see cref="FakeServer.SentSnapshots"/>. Turn off for long benchmarks.</summary>
    public bool KeepSentSnapshots { get; init; } = true;

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where the fake's own log lines go; silent by default.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Optional hook for the Kestrel host's logging (silent by default).</summary>
    public Action<ILoggingBuilder>? ConfigureHostLogging { get; init; }
}

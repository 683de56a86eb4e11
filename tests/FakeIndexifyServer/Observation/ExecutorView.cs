using Executor.Protocol.ServerV1;

namespace FakeIndexifyServer;

/// <summary>A copy of what the fake currently knows about one executor.</summary>
public sealed record ExecutorView(
    string ExecutorId,
    bool IsRegistered,
    bool IsTombstoned,
    ExecutorState? State,
    string? StateHash,
    ulong? ServerClock,
    DateTimeOffset Deadline,
    IReadOnlyList<FunctionCallWatch> Watches,
    int ReportCount,
    int StateChangeReportCount,
    int RegistrationCount,
    int OpenStreamCount);

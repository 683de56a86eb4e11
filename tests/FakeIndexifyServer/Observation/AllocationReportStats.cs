using Executor.Protocol.ServerV1;

namespace FakeIndexifyServer;

/// <summary>
/// How often an allocation id appeared in reports: in total, in rejected reports, and as an ignored duplicate
/// after its result was accepted (or after the server failed it).
/// </summary>
public sealed record AllocationReportStats(
    string AllocationId,
    int TimesReported,
    int TimesInRejectedReports,
    int DuplicateCount,
    AllocationResult? AcceptedResult)
{
    public bool Accepted => AcceptedResult is not null;
}

namespace FakeIndexifyServer.Model;

/// <summary>How often one allocation id appeared in reports (kept even for ids the fake does not know).</summary>
internal sealed class AllocationReportCounter
{
    public int Total { get; set; }

    public int InRejectedReports { get; set; }

    public int Duplicates { get; set; }
}

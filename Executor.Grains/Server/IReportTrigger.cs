namespace Executor.Server;

/// <summary>Asks the ExecutorGrain for a report as soon as possible (one-way, coalesced with any report already due).</summary>
public interface IReportTrigger
{
    void RequestReport();
}

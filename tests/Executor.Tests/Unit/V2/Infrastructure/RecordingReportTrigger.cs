using Executor.Server;

namespace Executor.Tests.Unit.V2.Infrastructure;

/// <summary>Stands in for the ExecutorGrain: counts report requests and, when told to, reports at once like the grain would.</summary>
internal sealed class RecordingReportTrigger : IReportTrigger
{
    private int _requests;

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Runs on every request (e.g. a ReportAsync, as the grain's report loop would).</summary>
    public Action? OnRequest { get; set; }

    public void RequestReport()
    {
        Interlocked.Increment(ref _requests);
        OnRequest?.Invoke();
    }
}

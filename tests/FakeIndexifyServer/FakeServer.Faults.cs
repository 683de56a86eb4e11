using FakeIndexifyServer.Faults;
using Grpc.Core;

namespace FakeIndexifyServer;

/// <summary>Fault injection for the next N calls of report_executor_state and call_function.</summary>
public sealed partial class FakeServer
{
    /// <summary>The next <paramref name="count"/> reports are answered with <paramref name="code"/> and not processed (no liveness refresh).</summary>
    public void FailNextReports(int count, StatusCode code, string detail = "injected fault") =>
        _reportFaults.Add(new InjectedFault.Fail(code, detail), count);

    /// <summary>The next <paramref name="count"/> reports are held for <paramref name="delay"/> before processing; a client deadline may expire first (then nothing is applied).</summary>
    public void DelayNextReports(int count, TimeSpan delay) =>
        _reportFaults.Add(new InjectedFault.Delay(delay), count);

    /// <summary>The next <paramref name="count"/> reports are not processed; their TCP connection is dropped instead (the client sees UNAVAILABLE).</summary>
    public void DropConnectionOnNextReports(int count) =>
        _reportFaults.Add(new InjectedFault.DropConnection(), count);

    public void FailNextFunctionCalls(int count, StatusCode code, string detail = "injected fault") =>
        _functionCallFaults.Add(new InjectedFault.Fail(code, detail), count);

    public void DelayNextFunctionCalls(int count, TimeSpan delay) =>
        _functionCallFaults.Add(new InjectedFault.Delay(delay), count);

    /// <summary>Injected faults not consumed yet.</summary>
    public int PendingReportFaults => _reportFaults.PendingCount;

    public void ClearFaults()
    {
        _reportFaults.Clear();
        _functionCallFaults.Clear();
    }
}

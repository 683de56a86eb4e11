using FakeIndexifyServer.Faults;
using FakeIndexifyServer.Validation;
using Grpc.Core;

namespace FakeIndexifyServer.Model;

/// <summary>
/// The bookkeeping of one v2 heartbeat's items: which were skipped as malformed, which failed (and so fail the
/// RPC after the rest was processed), and what happened to each outcome.
/// </summary>
internal sealed class HeartbeatIngestion(IReadOnlyList<InjectedFault?> callFunctionFaults)
{
    private int _nextCallFunctionFault;
    private StatusCode? _injectedCode;

    public List<string> Skipped { get; } = [];

    public List<string> Failed { get; } = [];

    public List<string> Accepted { get; } = [];

    public List<string> Duplicates { get; } = [];

    public List<string> Unknown { get; } = [];

    /// <summary>INTERNAL, unless an injected call_function fault asked for another code.</summary>
    public StatusCode FailureCode => _injectedCode ?? StatusCode.Internal;

    /// <summary>The fault scripted for the next call_function entry, in the order the entries arrived.</summary>
    public InjectedFault? NextCallFunctionFault() =>
        _nextCallFunctionFault < callFunctionFaults.Count ? callFunctionFaults[_nextCallFunctionFault++] : null;

    /// <summary>An item the server could not apply: skipped when its error counts as malformed, counted otherwise.</summary>
    public void Reject(string error)
    {
        if (MalformedItems.IsMalformed(error))
        {
            Skipped.Add(error);
        }
        else
        {
            Failed.Add(error);
        }
    }

    /// <summary>Ignored on purpose (logged by the server), without failing the heartbeat.</summary>
    public void Ignore(string reason) => Skipped.Add(reason);

    public void FailInjected(string error, StatusCode code)
    {
        _injectedCode ??= code;
        Failed.Add(error);
    }
}

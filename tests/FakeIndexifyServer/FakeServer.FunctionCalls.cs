using Executor.Protocol.ServerV1;
using FakeIndexifyServer.Faults;
using FakeIndexifyServer.Model;
using FakeIndexifyServer.Validation;
using Grpc.Core;

namespace FakeIndexifyServer;

/// <summary>call_function (v1) and the function runs that watches (v1) and result routes (v2) report on.</summary>
public sealed partial class FakeServer
{
    private readonly List<ReceivedFunctionCall> _functionCallRequests = [];

    internal async Task<FunctionCallResponse> HandleFunctionCallAsync(FunctionCallRequest request, ServerCallContext context)
    {
        var receivedAt = _time.GetUtcNow();
        switch (_functionCallFaults.TakeNext())
        {
            case InjectedFault.Fail fail:
                RecordFunctionCall(request, receivedAt, fail.Code, fail.Detail);
                throw new RpcException(new Status(fail.Code, fail.Detail));
            case InjectedFault.DropConnection:
                RecordFunctionCall(request, receivedAt, StatusCode.Unavailable, "connection dropped by fault injection");
                Hosting.ConnectionDropper.DropConnection(context);
                return new FunctionCallResponse();
            case InjectedFault.Delay delay:
                await Task.Delay(delay.Duration, _time, context.CancellationToken).ConfigureAwait(false);
                break;
        }

        (StatusCode Code, string Detail)? error;
        lock (_gate)
        {
            error = FunctionCallRequestValidator.FindError(request);
            if (error is null)
            {
                // Calls are keyed by id; re-sent ids do not create new runs.
                foreach (var callId in ExecutionPlanUpdatesValidator.CreatedCallIds(request.Updates))
                {
                    _functionCalls.TryAdd(new FunctionCallKey(request.Namespace, request.Application, request.RequestId, callId), FunctionCallOutcome.Pending);
                }

                AdvanceClockForEvent();
                PublishChanges();
            }
        }

        RecordFunctionCall(request, receivedAt, error?.Code ?? StatusCode.OK, error?.Detail ?? string.Empty);
        if (error is { } failure)
        {
            throw new RpcException(new Status(failure.Code, failure.Detail));
        }

        return new FunctionCallResponse();
    }

    private void RecordFunctionCall(FunctionCallRequest request, DateTimeOffset receivedAt, StatusCode status, string detail)
    {
        lock (_gate)
        {
            _functionCallRequests.Add(new ReceivedFunctionCall(NextSequence(), receivedAt, request.Clone(), status, detail));
        }

        _changes.Pulse();
    }

    /// <summary>Makes a function run known (outcome UNKNOWN) so watches on it report it as unfinished.</summary>
    public void RegisterFunctionCall(string @namespace, string application, string requestId, string functionCallId) =>
        SetFunctionCallOutcome(@namespace, application, requestId, functionCallId, FunctionCallOutcome.Pending, onlyIfUnknown: true);

    /// <summary>
    /// Scripts a call's outcome. v1: every executor watching it gets a new snapshot; by default with the same clock
    /// as before, as when the real server completes a watched run without a new event. v2: a parent waiting on it
    /// gets one result (a <see cref="FunctionCallOutcome.TailCall"/> pushes nothing; complete the call again later).
    /// </summary>
    public void CompleteFunctionCall(string @namespace, string application, string requestId, string functionCallId, FunctionCallOutcome outcome) =>
        SetFunctionCallOutcome(@namespace, application, requestId, functionCallId, outcome, onlyIfUnknown: false);

    /// <summary>Forgets a function run (e.g. its request was purged): watches on it are silently left out.</summary>
    public void ForgetFunctionCall(string @namespace, string application, string requestId, string functionCallId)
    {
        lock (_gate)
        {
            _functionCalls.Remove(new FunctionCallKey(@namespace, application, requestId, functionCallId));
            PublishChanges();
        }

        _changes.Pulse();
    }

    public FunctionCallOutcome? GetFunctionCallOutcome(string @namespace, string application, string requestId, string functionCallId)
    {
        lock (_gate)
        {
            return _functionCalls.GetValueOrDefault(new FunctionCallKey(@namespace, application, requestId, functionCallId));
        }
    }

    private void SetFunctionCallOutcome(string @namespace, string application, string requestId, string functionCallId, FunctionCallOutcome outcome, bool onlyIfUnknown)
    {
        lock (_gate)
        {
            var key = new FunctionCallKey(@namespace, application, requestId, functionCallId);
            if (onlyIfUnknown)
            {
                _functionCalls.TryAdd(key, outcome);
            }
            else
            {
                _functionCalls[key] = outcome;
            }

            PublishChanges();
            TryPushRoutedResult(key); // v2: a waiting parent gets the result now
        }

        _changes.Pulse();
    }
}

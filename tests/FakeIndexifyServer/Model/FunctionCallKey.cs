using Executor.Protocol.ServerV1;

namespace FakeIndexifyServer.Model;

/// <summary>How the server finds a function run: namespace, application, request and call id.</summary>
internal readonly record struct FunctionCallKey(string Namespace, string Application, string RequestId, string FunctionCallId)
{
    public static FunctionCallKey From(FunctionCallWatch watch) =>
        new(watch.Namespace, watch.Application, watch.RequestId, watch.FunctionCallId);
}

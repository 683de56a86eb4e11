using Executor.Protocol.ServerV1;
using Grpc.Core;

namespace FakeIndexifyServer;

/// <summary>One call_function request as the fake received and answered it.</summary>
public sealed record ReceivedFunctionCall(
    long Sequence,
    DateTimeOffset ReceivedAt,
    FunctionCallRequest Request,
    StatusCode ReplyStatus,
    string ReplyDetail)
{
    public bool Succeeded => ReplyStatus == StatusCode.OK;
}

using Google.Protobuf;

namespace Executor.Server.V2;

/// <summary>
/// Re-reads a message as its twin in the other protocol's generated types. Only for pairs the wire contract lists as
/// unchanged or renamed with identical fields (DataPayload, FunctionRef, ExecutionPlanUpdates, FunctionCallRequest,
/// FunctionCallResult, HostResources, AllowedFunction, FunctionExecutorDescription / ContainerDescription,
/// Allocation): one mapping and one rule set serve both protocols. Fields only one side knows survive as unknown fields.
/// </summary>
internal static class WireTwin
{
    public static T As<T>(IMessage source, MessageParser<T> parser)
        where T : IMessage<T> => parser.ParseFrom(source.ToByteString());
}

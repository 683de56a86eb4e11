namespace Executor.Server;

/// <summary>
/// The Server answered UNIMPLEMENTED to this protocol's RPC: it speaks the other protocol (a v2 Server has no
/// report_executor_state, a v1 Server has no heartbeat). The negotiating connection switches on it.
/// </summary>
public sealed class ServerProtocolMismatchException(ServerProtocol attempted, string message, Exception? inner = null) : ServerRpcException(message, inner)
{
    public ServerProtocol Attempted { get; } = attempted;
}

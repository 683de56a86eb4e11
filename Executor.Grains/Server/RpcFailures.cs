using System.Net.Sockets;
using Grpc.Core;

namespace Executor.Server;

/// <summary>Classifies RPC failures the same way for both protocols.</summary>
internal static class RpcFailures
{
    /// <summary>Nothing answered at the Server's address (refused, or no route): the Server is down, not overloaded.</summary>
    public static bool IsConnectionRefused(RpcException ex)
    {
        if (ex.StatusCode != StatusCode.Unavailable)
        {
            return false;
        }

        for (var inner = ex.Status.DebugException; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The failure happened on the way (no answer, broken connection, our deadline), not in the Server's handler:
    /// only then is the shared channel worth recycling.
    /// </summary>
    public static bool IsTransport(RpcException ex) => ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled or StatusCode.Unknown;
}

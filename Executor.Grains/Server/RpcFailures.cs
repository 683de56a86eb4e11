using System.Net.Http;
using System.Net.Sockets;
using Grpc.Core;

namespace Executor.Server;

/// <summary>Classifies RPC failures the same way for both protocols.</summary>
internal static class RpcFailures
{
    /// <summary>
    /// The Server is not there (any more): nothing answered at its address (refused, no route), it closed the
    /// connection with a graceful GOAWAY (NO_ERROR) because it is shutting down, or the connection the call went out on
    /// was already closed under it (broken pipe, reset, aborted, or the response ended with the connection) because the
    /// process behind it went away. Which of these a stopping Server produces depends on timing, so they are treated alike:
    /// it is down, not overloaded, and whatever answers next may be a different release.
    /// </summary>
    public static bool IsServerGone(RpcException ex)
    {
        if (ex.StatusCode is not (StatusCode.Unavailable or StatusCode.Internal))
        {
            return false;
        }

        for (var inner = ex.Status.DebugException; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable }:
                case SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown }:
                case HttpProtocolException { ErrorCode: 0 }:
                case HttpIOException { HttpRequestError: HttpRequestError.ResponseEnded }:
                    return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The failure happened on the way (no answer, broken connection, our deadline), not in the Server's handler:
    /// only then is the shared channel worth recycling. Grpc.Net.Client reports a connection that broke before the
    /// call started as Internal with the HTTP exception attached.
    /// </summary>
    public static bool IsTransport(RpcException ex) =>
        ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled or StatusCode.Unknown
        || IsBrokenConnection(ex);

    /// <summary>The HTTP/2 connection broke under the call (reset, closed by GOAWAY): Internal with the HTTP exception attached.</summary>
    public static bool IsBrokenConnection(RpcException ex) =>
        ex.StatusCode == StatusCode.Internal && ex.Status.DebugException is HttpRequestException or IOException;
}

using System.Net.Http;
using System.Net.Sockets;
using Executor.Server;
using Grpc.Core;
using Xunit;

namespace Executor.Tests.Unit;

/// <summary>
/// How a stopped Server shows up depends on timing (observed in CI: refused, GOAWAY(NO_ERROR) then EOF, a write into the
/// closed connection); every shape means "gone" (retry each second, probe the protocol again), while a Server that
/// answers with an error is not gone.
/// </summary>
public sealed class RpcFailuresTests
{
    [Theory]
    [InlineData("refused")]
    [InlineData("GOAWAY(NO_ERROR) then EOF")]
    [InlineData("broken pipe")]
    [InlineData("reset")]
    [InlineData("response ended with the connection")]
    public void EveryWayAStoppedServerShowsUpMeansGone(string shape)
    {
        var failure = shape switch
        {
            "refused" => Failure(StatusCode.Unavailable, new HttpRequestException("connect", new SocketException((int)SocketError.ConnectionRefused))),
            "GOAWAY(NO_ERROR) then EOF" => Failure(StatusCode.Internal, new HttpRequestException("closed", new HttpProtocolException(0, "The HTTP/2 server closed the connection.", null))),
            "broken pipe" => Failure(StatusCode.Unavailable, new HttpRequestException("send", new IOException("aborted", new IOException("write", new SocketException((int)SocketError.Shutdown))))),
            "reset" => Failure(StatusCode.Unavailable, new HttpRequestException("send", new IOException("read", new SocketException((int)SocketError.ConnectionReset)))),
            _ => Failure(StatusCode.Internal, new HttpIOException(HttpRequestError.ResponseEnded, "The response ended prematurely.")),
        };

        Assert.True(RpcFailures.IsServerGone(failure), shape);
        Assert.True(RpcFailures.IsTransport(failure), shape);
    }

    [Fact]
    public void AnswersFromALiveServerAreNotGone()
    {
        // Its handler said UNAVAILABLE (overloaded) or INTERNAL (an item failed): no exception of the transport attached.
        Assert.False(RpcFailures.IsServerGone(new RpcException(new Status(StatusCode.Unavailable, "overloaded"))));
        Assert.False(RpcFailures.IsServerGone(new RpcException(new Status(StatusCode.Internal, "item failed"))));
        // A protocol error with a real error code is a broken peer, not a stopped one.
        Assert.False(RpcFailures.IsServerGone(Failure(StatusCode.Internal, new HttpRequestException("x", new HttpProtocolException(1, "PROTOCOL_ERROR", null)))));
        // Other codes never are, whatever is attached.
        Assert.False(RpcFailures.IsServerGone(Failure(StatusCode.DeadlineExceeded, new HttpRequestException("x", new SocketException((int)SocketError.ConnectionReset)))));
    }

    private static RpcException Failure(StatusCode code, Exception debug) => new(new Status(code, debug.Message, debug));
}

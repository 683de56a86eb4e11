using Grpc.Core;
using Microsoft.AspNetCore.Connections.Features;

namespace FakeIndexifyServer.Hosting;

/// <summary>
/// Breaks a call the way a dying server or network does. Closing the whole TCP connection makes the client see
/// UNAVAILABLE; resetting only the HTTP/2 stream (the fallback) shows up as INTERNAL.
/// </summary>
internal static class ConnectionDropper
{
    public static void DropConnection(ServerCallContext context)
    {
        var http = context.GetHttpContext();
        if (http.Features.Get<IConnectionLifetimeFeature>() is { } connection)
        {
            connection.Abort();
        }
        else
        {
            http.Abort();
        }
    }
}

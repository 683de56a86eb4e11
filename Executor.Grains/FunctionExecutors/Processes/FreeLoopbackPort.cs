using System.Net;
using System.Net.Sockets;

namespace Executor.FunctionExecutors.Processes;

/// <summary>
/// Asks the OS for an unused 127.0.0.1 port by binding port 0 and closing the socket. Racy by nature (someone can take
/// the port before the FE binds it), which is why the launcher retries with a different port.
/// </summary>
internal static class FreeLoopbackPort
{
    public static int Pick(IReadOnlySet<int> avoid)
    {
        var port = 0;
        for (var i = 0; i < 32; i++)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)socket.LocalEndPoint!).Port;
            if (!avoid.Contains(port))
            {
                return port;
            }
        }

        return port;
    }
}

using System.Net;
using System.Net.Sockets;

namespace Executor.Testing;

/// <summary>Asks the OS for an unused loopback TCP port.</summary>
public static class FreePort
{
    public static int Get()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

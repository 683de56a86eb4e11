using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Executor.Processes.Tests;

/// <summary>Talks to the fake FE's TCP port: "exit N" makes it exit with status N, "spam" floods its output.</summary>
internal static class FakeFunctionExecutorClient
{
    public static Task SendExitAsync(int port, int exitCode) => SendAsync(port, $"exit {exitCode}");

    public static async Task SendAsync(int port, string command)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(command));
    }
}

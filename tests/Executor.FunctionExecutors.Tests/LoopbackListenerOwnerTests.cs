using System.Net;
using System.Net.Sockets;
using Executor.FunctionExecutors.Processes;

namespace Executor.FunctionExecutors.Tests;

/// <summary>
/// The launcher only trusts a port that answers when the FE itself holds the listener: with racy free-port discovery
/// another process (here: this test process, seen from a stranger's pid) may hold it while the FE fails to bind.
/// </summary>
public sealed class LoopbackListenerOwnerTests
{
    [Fact]
    public void TheProcessHoldingTheListenerOwnsItAndAnyOtherProcessIsAStranger()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            Assert.Equal(LoopbackListenerOwner.Verdict.Ours, LoopbackListenerOwner.Check(port, Environment.ProcessId, includeProcessGroup: false));
            Assert.Equal(LoopbackListenerOwner.Verdict.Foreign, LoopbackListenerOwner.Check(port, 1, includeProcessGroup: false));
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public void APortNobodyListensOnIsUnknown()
    {
        int port;
        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        }

        Assert.Equal(LoopbackListenerOwner.Verdict.Unknown, LoopbackListenerOwner.Check(port, Environment.ProcessId, includeProcessGroup: false));
    }
}

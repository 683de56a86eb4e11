using System.Net;
using System.Net.Sockets;

namespace Executor.FunctionExecutors.Processes;

/// <summary>
/// Picks a loopback port for an FE to listen on. The FE must be told its port up front (the real
/// function-executor takes --address host:port), so the choice is racy by nature; two things keep collisions
/// rare: ports come from below the kernel's ephemeral range (which outgoing connections and other programs'
/// "port 0" binds draw from), chosen at random, and must be free on both 127.0.0.1 and ::1 (the FE binds
/// "localhost", i.e. both). The launcher still verifies who listens and retries with another port.
/// </summary>
internal static class FreeLoopbackPort
{
    private const int LowestPort = 20000;

    public static int Pick(IReadOnlySet<int> avoid)
    {
        var (ephemeralLow, _) = EphemeralRange();
        var high = Math.Max(LowestPort + 1000, ephemeralLow);
        for (var i = 0; i < 64; i++)
        {
            var port = Random.Shared.Next(LowestPort, high);
            if (!avoid.Contains(port) && IsFree(IPAddress.Loopback, port) && IsFree(IPAddress.IPv6Loopback, port, missingStackIsFree: true))
            {
                return port;
            }
        }

        // Fall back to the OS's choice (an ephemeral port) when the low range is crowded.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private static bool IsFree(IPAddress address, int port, bool missingStackIsFree = false)
    {
        try
        {
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(address, port));
            return true;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return false;
        }
        catch (SocketException) when (missingStackIsFree)
        {
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static (int Low, int High) EphemeralRange()
    {
        try
        {
            var parts = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return (int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
        {
            return (32768, 60999);
        }
    }
}

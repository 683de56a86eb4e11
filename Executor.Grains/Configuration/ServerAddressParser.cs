namespace Executor.Configuration;

public static class ServerAddressParser
{
    /// <summary>Parses "host:port" (IPv6 as "[::1]:8901"); no scheme, like upstream's --grpc-server-addr.</summary>
    public static bool TryParse(string? address, out string host, out int port)
    {
        host = string.Empty;
        port = 0;
        if (string.IsNullOrWhiteSpace(address) || address.Contains("://", StringComparison.Ordinal))
        {
            return false;
        }

        var colon = address.LastIndexOf(':');
        if (colon <= 0 || colon == address.Length - 1)
        {
            return false;
        }

        host = address[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        return int.TryParse(address[(colon + 1)..], out port) && port is > 0 and <= 65535 && host.Length > 0;
    }
}

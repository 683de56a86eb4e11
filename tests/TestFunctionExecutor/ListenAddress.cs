using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace TestFunctionExecutor;

/// <summary>The <c>--address host:port</c> value: localhost (both loopbacks), an IP literal, or a wildcard.</summary>
internal sealed record ListenAddress(string Host, int Port, IPAddress? Ip, bool IsLocalhost, bool IsAny)
{
    public static bool TryParse(string value, [NotNullWhen(true)] out ListenAddress? address, out string error)
    {
        address = null;
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || colon == value.Length - 1)
        {
            error = $"invalid --address '{value}': expected host:port";
            return false;
        }

        var host = value[..colon];
        if (!int.TryParse(value[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            error = $"invalid port in --address '{value}'";
            return false;
        }

        var bareHost = host.Trim('[', ']');
        error = string.Empty;
        if (string.Equals(bareHost, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            address = new ListenAddress(host, port, null, IsLocalhost: true, IsAny: false);
            return true;
        }

        if (bareHost is "*" or "0.0.0.0" or "::")
        {
            address = new ListenAddress(host, port, null, IsLocalhost: false, IsAny: true);
            return true;
        }

        if (IPAddress.TryParse(bareHost, out var ip))
        {
            address = new ListenAddress(host, port, ip, IsLocalhost: false, IsAny: false);
            return true;
        }

        error = $"unsupported host in --address '{value}': use localhost, an IP address or 0.0.0.0";
        return false;
    }

    public override string ToString() => $"{Host}:{Port}";
}

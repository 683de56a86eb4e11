namespace Executor.Server;

/// <summary>
/// The upstream TLS config file (--config-path): a small YAML document
/// <c>use_tls: true</c> and <c>tls_config: { cert_path, key_path, ca_bundle_path }</c>, each path optional.
/// Read with a deliberately tiny parser: the format is fixed and a YAML library would be the only user.
/// </summary>
public sealed record TlsConfigFile(bool UseTls, string? CertPath, string? KeyPath, string? CaBundlePath)
{
    public static TlsConfigFile Load(string path)
    {
        var useTls = false;
        string? cert = null, key = null, ca = null;
        var inTlsConfig = false;
        foreach (var rawLine in File.ReadAllLines(path))
        {
            var line = StripComment(rawLine);
            if (line.Trim().Length == 0)
            {
                continue;
            }

            var indented = char.IsWhiteSpace(line[0]);
            var (name, value) = SplitKeyValue(line.Trim());
            if (!indented)
            {
                inTlsConfig = name == "tls_config";
                if (name == "use_tls")
                {
                    useTls = value.Equals("true", StringComparison.OrdinalIgnoreCase) || value.Equals("yes", StringComparison.OrdinalIgnoreCase);
                }

                continue;
            }

            if (!inTlsConfig)
            {
                continue;
            }

            switch (name)
            {
                case "cert_path": cert = NullIfEmpty(value); break;
                case "key_path": key = NullIfEmpty(value); break;
                case "ca_bundle_path": ca = NullIfEmpty(value); break;
            }
        }

        if (useTls && (cert is null) != (key is null))
        {
            throw new InvalidDataException($"TLS config '{path}': cert_path and key_path must be given together (mTLS).");
        }

        foreach (var file in new[] { cert, key, ca })
        {
            if (useTls && file is not null && !File.Exists(file))
            {
                throw new FileNotFoundException($"TLS config '{path}' names a file that does not exist: {file}", file);
            }
        }

        return new TlsConfigFile(useTls, cert, key, ca);
    }

    private static string StripComment(string line)
    {
        var hash = line.IndexOf(" #", StringComparison.Ordinal);
        return line.StartsWith('#') ? string.Empty : hash >= 0 ? line[..hash] : line;
    }

    private static (string Name, string Value) SplitKeyValue(string line)
    {
        var colon = line.IndexOf(':');
        if (colon < 0)
        {
            return (line, string.Empty);
        }

        var value = line[(colon + 1)..].Trim().Trim('"', '\'');
        return (line[..colon].Trim(), value);
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}

using System.Globalization;
using Executor.Configuration;

namespace Executor.Silo.Hosting;

/// <summary>
/// The command line of `indexify-cli executor` (same flags and defaults), plus this executor's own flags.
/// Flags become configuration keys, so every setting can also come from appsettings.json or EXECUTOR__... variables.
/// </summary>
public sealed class ExecutorCommandLine
{
    public const string Usage = """
        Usage: indexify-executor [executor] [options]

        Options compatible with `indexify-cli executor`:
          --grpc-server-addr HOST:PORT        Indexify Server gRPC address (default localhost:8901)
          -f, --function NS:APP:FN[:VERSION]  Only run this function (repeatable; default: any function)
          -l, --label KEY=VALUE               Executor label (repeatable)
          --config-path FILE                  TLS config file (use_tls, tls_config.cert_path/key_path/ca_bundle_path)
          --executor-cache-path DIR           Cache directory (default ~/.indexify/executor_cache)
          --monitoring-server-host HOST       Monitoring HTTP bind host (default localhost = 127.0.0.1)
          --monitoring-server-port PORT       Monitoring HTTP port (default 7000)
          --catalog-entry-name NAME           Catalog entry reported to the Server
          -v, --verbose / -vv, --very-verbose Readable console logs (and --dev for FEs); -vv adds debug logs

        Options of this executor:
          --server-protocol auto|v1|v2        Server protocol (default auto: v2 heartbeat first, v1 on UNIMPLEMENTED,
                                              probed again after the Server was unreachable)
          --function-executor-command PATH    Function Executor program (default: function-executor on PATH)
          --allowed-blob-root DIR             Confine file:// blob access to DIR (repeatable; default: unconfined)
          --silo-port PORT                    Orleans silo port (default 11111)
          --gateway-port PORT                 Orleans gateway port (default 30000)
          --dashboard                         Serve the Orleans dashboard at /dashboard/ on the monitoring server
          --runtime-metrics                   Also export Orleans and .NET runtime metrics
          --version                           Print the version and exit
          -h, --help                          Print this help and exit
        """;

    private static readonly Dictionary<string, string> ValueFlags = new(StringComparer.Ordinal)
    {
        ["--grpc-server-addr"] = "Executor:ServerAddress",
        ["--server-protocol"] = "Executor:ServerProtocol",
        ["--config-path"] = "Executor:ConfigPath",
        ["--executor-cache-path"] = "Executor:CachePath",
        ["--monitoring-server-host"] = "Executor:MonitoringHost",
        ["--monitoring-server-port"] = "Executor:MonitoringPort",
        ["--catalog-entry-name"] = "Executor:CatalogEntryName",
        ["--function-executor-command"] = "FunctionExecutor:Command",
        ["--silo-port"] = "Orleans:SiloPort",
        ["--gateway-port"] = "Orleans:GatewayPort",
    };

    public Dictionary<string, string?> Settings { get; } = new(StringComparer.OrdinalIgnoreCase);

    public List<string> Errors { get; } = [];

    public List<string> UnknownArguments { get; } = [];

    public bool ShowHelp { get; private set; }

    public bool ShowVersion { get; private set; }

    public static ExecutorCommandLine Parse(IReadOnlyList<string> args)
    {
        var result = new ExecutorCommandLine();
        var functions = 0;
        var roots = 0;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string? inlineValue = null;
            if (arg.StartsWith("--", StringComparison.Ordinal) && arg.IndexOf('=') is > 2 and var eq)
            {
                inlineValue = arg[(eq + 1)..];
                arg = arg[..eq];
            }

            string? NextValue()
            {
                if (inlineValue is not null)
                {
                    return inlineValue;
                }

                if (i + 1 < args.Count)
                {
                    return args[++i];
                }

                result.Errors.Add($"{arg} needs a value.");
                return null;
            }

            switch (arg)
            {
                case "executor" when i == 0:
                    break;
                case "-h" or "--help":
                    result.ShowHelp = true;
                    break;
                case "--version":
                    result.ShowVersion = true;
                    break;
                case "-v" or "--verbose":
                    result.Settings["Executor:Verbosity"] = Max(result.Settings, 1);
                    break;
                case "-vv" or "--very-verbose":
                    result.Settings["Executor:Verbosity"] = "2";
                    break;
                case "--dashboard":
                    result.Settings["Executor:Dashboard"] = "true";
                    break;
                case "--runtime-metrics":
                    result.Settings["Executor:RuntimeMetrics"] = "true";
                    break;
                case "-f" or "--function":
                    if (NextValue() is { } function)
                    {
                        if (!AllowedFunctionParser.TryParse(function, out _, out var error))
                        {
                            result.Errors.Add($"--function '{function}': {error}.");
                        }

                        result.Settings[$"Executor:Functions:{functions++}"] = function;
                    }

                    break;
                case "-l" or "--label":
                    if (NextValue() is { } label)
                    {
                        if (LabelParser.TryParse(label, out var key, out var value))
                        {
                            result.Settings[$"Executor:Labels:{key}"] = value;
                        }
                        else
                        {
                            result.Errors.Add($"--label '{label}': expected KEY=VALUE with exactly one '='.");
                        }
                    }

                    break;
                case "--allowed-blob-root":
                    if (NextValue() is { } root)
                    {
                        result.Settings[$"BlobStore:AllowedRoots:{roots++}"] = root;
                    }

                    break;
                default:
                    if (ValueFlags.TryGetValue(arg, out var settingKey))
                    {
                        if (NextValue() is { } v)
                        {
                            result.Settings[settingKey] = v;
                        }
                    }
                    else
                    {
                        // Upstream accepts and only logs unknown arguments; so do we.
                        result.UnknownArguments.Add(args[i]);
                    }

                    break;
            }
        }

        if (result.Settings.TryGetValue("Executor:ServerProtocol", out var protocol) && !ServerProtocolModes.TryParse(protocol, out _))
        {
            result.Errors.Add($"--server-protocol '{protocol}' must be {ServerProtocolModes.Allowed}.");
        }

        if (result.Settings.TryGetValue("Executor:MonitoringPort", out var port) && !int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            result.Errors.Add($"--monitoring-server-port '{port}' is not a port number.");
        }

        return result;
    }

    private static string Max(Dictionary<string, string?> settings, int level) =>
        settings.TryGetValue("Executor:Verbosity", out var current) && int.TryParse(current, CultureInfo.InvariantCulture, out var c) && c > level ? current! : level.ToString(CultureInfo.InvariantCulture);
}

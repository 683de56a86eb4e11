using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Executor.Configuration;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Executor.Server;

/// <summary>
/// One shared gRPC channel to the Server (created lazily, recreated after a failed report), with message
/// limits lifted like upstream (the Server allows 4 GiB) and TLS / mTLS from the --config-path file.
/// </summary>
public sealed partial class ServerChannelProvider : IDisposable
{
    private readonly object _gate = new();
    private readonly ExecutorOptions _options;
    private readonly ILogger<ServerChannelProvider> _logger;
    private readonly TlsConfigFile? _tls;
    private readonly Metrics.ServerMetrics? _metrics;
    private GrpcChannel? _channel;

    public ServerChannelProvider(IOptions<ExecutorOptions> options, ILogger<ServerChannelProvider> logger, Metrics.ServerMetrics? metrics = null)
    {
        _metrics = metrics;
        _options = options.Value;
        _logger = logger;
        if (_options.ConfigPath is { } path)
        {
            _tls = TlsConfigFile.Load(path);
            LogTls(_logger, path, _tls.UseTls);
        }

        if (!ServerAddressParser.TryParse(_options.ServerAddress, out var host, out var port))
        {
            throw new InvalidOperationException($"Invalid server address '{_options.ServerAddress}'.");
        }

        var scheme = _tls?.UseTls == true ? "https" : "http";
        Target = new Uri($"{scheme}://{(host.Contains(':') ? $"[{host}]" : host)}:{port}");
    }

    public Uri Target { get; }

    public long Creations { get; private set; }

    public GrpcChannel Channel
    {
        get
        {
            lock (_gate)
            {
                if (_channel is null)
                {
                    var started = System.Diagnostics.Stopwatch.GetTimestamp();
                    _channel = Create();
                    Creations++;
                    _metrics?.ChannelCreations.Add(1);
                    _metrics?.ChannelCreationLatency.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
                }

                return _channel;
            }
        }
    }

    public void Recycle()
    {
        GrpcChannel? old;
        lock (_gate)
        {
            old = _channel;
            _channel = null;
        }

        // Calls still running on the old channel finish or fail on their own; disposing cancels them.
        old?.Dispose();
    }

    /// <summary>A short-lived channel used for the final STOPPED report, independent of the shared one.</summary>
    public GrpcChannel CreateStandalone() => Create();

    public void Dispose() => Recycle();

    private GrpcChannel Create()
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
        };
        if (_tls?.UseTls == true)
        {
            handler.SslOptions = BuildSsl(_tls);
        }

        return GrpcChannel.ForAddress(Target, new GrpcChannelOptions
        {
            HttpHandler = handler,
            MaxReceiveMessageSize = null,
            MaxSendMessageSize = null,
            DisposeHttpClient = true,
        });
    }

    private static SslClientAuthenticationOptions BuildSsl(TlsConfigFile tls)
    {
        var ssl = new SslClientAuthenticationOptions();
        if (tls.CertPath is not null && tls.KeyPath is not null)
        {
            var cert = X509Certificate2.CreateFromPemFile(tls.CertPath, tls.KeyPath);
            ssl.ClientCertificates = [cert];
        }

        if (tls.CaBundlePath is not null)
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(tls.CaBundlePath);
            ssl.CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            ssl.CertificateChainPolicy.CustomTrustStore.AddRange(roots);
        }

        return ssl;
    }

    [LoggerMessage(1, LogLevel.Information, "TLS config {ConfigPath} loaded (use_tls={UseTls})")]
    private static partial void LogTls(ILogger logger, string configPath, bool useTls);
}

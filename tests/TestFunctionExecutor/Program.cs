using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using TestFunctionExecutor;

var commandLine = CommandLine.Parse(args);
FeLog.SetFunctionExecutorId(commandLine.FunctionExecutorId);
if (commandLine.Address is null)
{
    FeLog.Error("--address argument is required");
    return 1;
}

if (commandLine.ExecutorId is null)
{
    FeLog.Error("--executor-id argument is required");
    return 1;
}

if (!ListenAddress.TryParse(commandLine.Address, out var address, out var addressError))
{
    FeLog.Error(addressError);
    return 1;
}

var protocol = FeProtocol.Select(commandLine.FunctionExecutorId, Environment.GetEnvironmentVariable(TestFunctions.ProtocolVariable));

if (commandLine.Ignored.Count > 0)
{
    FeLog.Error($"ignored cli arguments: {string.Join(' ', commandLine.Ignored)}");
}

// The empty builder skips config files, file watchers and default logging: this process is spawned
// for every FE a test starts, so startup time matters.
var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
builder.Logging.AddFilter(level => level >= LogLevel.Warning);
// A taken port is reported by us in one line; the host's own stack trace would only add noise.
builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(1));
builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
{
    kestrel.AddServerHeader = false;
    KestrelConnectionLimits.Apply(kestrel.Limits);
    Action<ListenOptions> http2 = listen => listen.Protocols = HttpProtocols.Http2;
    if (address.IsLocalhost)
    {
        kestrel.ListenLocalhost(address.Port, http2);
    }
    else if (address.IsAny)
    {
        kestrel.ListenAnyIP(address.Port, http2);
    }
    else
    {
        kestrel.Listen(address.Ip!, address.Port, http2);
    }
});
builder.Services.AddRoutingCore();
builder.Services.AddGrpc(o =>
{
    // Unlimited message sizes, like both real peers.
    o.MaxReceiveMessageSize = null;
    o.MaxSendMessageSize = null;
    o.EnableDetailedErrors = true;
});
builder.Services.AddSingleton(commandLine);
builder.Services.AddSingleton(protocol);
if (protocol.Speaks013)
{
    // The real FE 0.1.3 drains terminal batches on SIGTERM before it stops serving.
    builder.Services.AddSingleton<IHostLifetime, DrainingLifetime>();
}

builder.Services.AddSingleton(new BlobStore(new HttpClient(new SocketsHttpHandler { UseProxy = false, AutomaticDecompression = DecompressionMethods.None })
{
    Timeout = Timeout.InfiniteTimeSpan,
}));
builder.Services.AddSingleton<FunctionExecutorHost>();

var app = builder.Build();
app.UseRouting();
app.MapGrpcService<FunctionExecutorService>();

try
{
    await app.StartAsync().ConfigureAwait(false);
}
catch (IOException ex)
{
    FeLog.Error($"failed to listen on {address}: {ex.Message}");
    return TestFunctions.AddressInUseExitCode;
}

FeLog.Info($"listening on {address} (executor {commandLine.ExecutorId}, protocol {protocol.Description}{(commandLine.Dev ? ", dev" : string.Empty)})");
await app.WaitForShutdownAsync().ConfigureAwait(false);
FeLog.Info("stopped");
return 0;

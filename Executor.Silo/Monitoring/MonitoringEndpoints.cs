using Executor.Hosting;
using Executor.Server;

namespace Executor.Silo.Monitoring;

/// <summary>
/// Upstream's monitoring routes with the same status codes and bodies: probes, Prometheus metrics, and the
/// last reported / desired states as protobuf text (or JSON when the client asks for application/json). With
/// protocol v2 the health answers are the Rust dataplane's; /state/* show the last heartbeat and the command ledger.
/// </summary>
public static class MonitoringEndpoints
{
    private const string JsonContentType = "application/json; charset=utf-8";
    private const string TextContentType = "text/plain; charset=utf-8";

    public static WebApplication MapMonitoringEndpoints(this WebApplication app)
    {
        app.MapGet("/monitoring/startup", Startup);
        app.MapGet("/monitoring/health", Health);
        app.MapGet("/state/reported", Reported);
        app.MapGet("/state/desired", Desired);
        app.MapPrometheusScrapingEndpoint("/monitoring/metrics");

        // Not in upstream: the Server ignores DRAINED, so the executor enforces it itself (no new FEs or allocations).
        app.MapPost("/executor/drain", Drain);
        return app;
    }

    private static IResult Startup(ExecutorReadiness readiness) => readiness.IsReady
        ? Results.Content("{\"status\": \"ok\"}", JsonContentType, statusCode: 200)
        : Results.Content("{\"status\": \"nok\"}", JsonContentType, statusCode: 503);

    private static IResult Health(ServerChannelHealth health, ActiveServerProtocol protocol)
    {
        if (protocol.Current == ServerProtocol.Unknown)
        {
            // `auto` before the Server's first answer: no channel is proven yet, and which checker's answers apply is
            // not known either. Unhealthy until then, so a probe never sees 200 from a channel nothing has answered on.
            var message = health.IsHealthy ? "no Server answer yet" : health.Message;
            return Results.Content($"{{\"status\": \"nok\", \"message\": \"{message}\", \"checker\": \"GenericHealthChecker\"}}", JsonContentType, statusCode: 503);
        }

        if (protocol.Current == ServerProtocol.V2)
        {
            // The Rust dataplane's answers (compact bodies; unhealthy until the first accepted heartbeat).
            return health.IsHealthy && health.HasSucceeded
                ? Results.Content("{\"status\":\"ok\",\"message\":\"Successful\",\"checker\":\"DataplaneHealthChecker\"}", JsonContentType, statusCode: 200)
                : Results.Content("{\"status\":\"nok\",\"message\":\"heartbeat unhealthy\",\"checker\":\"DataplaneHealthChecker\"}", JsonContentType, statusCode: 503);
        }

        return health.IsHealthy
            ? Results.Content($"{{\"status\": \"ok\", \"message\": \"{health.Message}\", \"checker\": \"GenericHealthChecker\"}}", JsonContentType, statusCode: 200)
            : Results.Content($"{{\"status\": \"nok\", \"message\": \"{health.Message}\", \"checker\": \"GenericHealthChecker\"}}", JsonContentType, statusCode: 503);
    }

    private static async Task<IResult> Drain(IGrainFactory grains)
    {
        await grains.GetGrain<Executor.Grains.IExecutorGrain>(Executor.Grains.ExecutorGrainKeys.Executor).DrainAsync();
        return Results.Content("{\"status\": \"drained\"}", JsonContentType, statusCode: 200);
    }

    private static IResult Reported(HttpRequest request, IServerConnection server) =>
        StateText(request, json => server.DescribeLastReport(json), "No state reported so far");

    private static IResult Desired(HttpRequest request, IServerConnection server) =>
        StateText(request, json => server.DescribeLastDesiredState(json), "No desired state received from Server yet");

    private static IResult StateText(HttpRequest request, Func<bool, string?> describe, string none)
    {
        var json = request.Headers.Accept.Any(a => a?.Contains("application/json", StringComparison.OrdinalIgnoreCase) == true);
        var body = describe(json);
        if (json)
        {
            return Results.Content(body ?? $"{{\"message\": \"{none}\"}}", JsonContentType, statusCode: 200);
        }

        return Results.Content(body ?? none, TextContentType, statusCode: 200);
    }
}

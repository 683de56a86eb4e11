using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Executor.TestHost;
using TestFunctionExecutor;
using Xunit;

namespace Executor.Tests.Observability;

/// <summary>
/// The Prometheus scrape after real work: promtool accepts it, every upstream metric (executor-behavior.md §14) is
/// exported under its upstream name, and the counters of what happened moved.
/// </summary>
public sealed partial class MetricsTests
{
    // Counters and gauges are exported from the start (at 0 where nothing happened yet).
    private static readonly string[] AlwaysPresent =
    [
        "cli_info", "executor_info", "executor_state", "healthy",
        "executor_events_pushed_total", "executor_event_push_errors_total",
        "grpc_server_channel_creations_total", "grpc_server_channel_creation_retries_total",
        "state_report_rpcs_total", "state_report_rpc_errors_total", "state_report_messages_over_size_limit_total", "state_report_message_fragmentations_total",
        "desired_state_streams_total", "desired_state_stream_errors_total", "state_reconciliations_total", "state_reconciliation_errors_total",
        "last_desired_state_allocations", "last_desired_state_function_executors",
        "blob_store_get_requests_total", "blob_store_get_errors_total", "blob_store_get_metadata_requests_total", "blob_store_get_metadata_errors_total",
        "blob_store_presign_uri_requests_total", "blob_store_presign_uri_errors_total", "blob_store_upload_requests_total", "blob_store_upload_errors_total",
        "blob_store_create_multipart_upload_requests_total", "blob_store_create_multipart_upload_errors_total",
        "blob_store_complete_multipart_upload_requests_total", "blob_store_complete_multipart_upload_errors_total",
        "blob_store_abort_multipart_upload_requests_total", "blob_store_abort_multipart_upload_errors_total",
        "function_executors_count", "function_executor_creates_total", "function_executor_create_errors_total",
        "function_executor_destroys_total", "function_executor_destroy_errors_total",
        "function_executor_create_server_errors_total", "function_executor_destroy_server_errors_total",
        "function_executor_establish_channel_errors_total", "function_executor_destroy_channel_errors_total",
        "function_executor_get_info_rpc_errors_total", "function_executor_initialize_rpc_errors_total",
        "function_executor_create_health_checker_errors_total", "function_executor_destroy_health_checker_errors_total",
        "function_executor_failed_health_checks_total", "function_executors_with_state",
        "runnable_allocations", "application_downloads_total", "application_download_errors_total", "application_downloads_from_cache_total",
        "call_function_rpcs_total", "call_function_rpc_errors_total",
    ];

    // Exported once their event happened (OpenTelemetry exports no histogram before its first observation).
    private static readonly string[] AfterWork =
    [
        "grpc_server_channel_creation_latency_seconds_bucket", "state_report_rpc_latency_seconds_bucket", "state_report_message_size_mb_bucket",
        "state_reconciliation_latency_seconds_bucket", "blob_store_get_latency_seconds_bucket", "blob_store_presign_uri_latency_seconds_bucket",
        "blob_store_create_multipart_upload_latency_seconds_bucket", "blob_store_complete_multipart_upload_latency_seconds_bucket",
        "function_executor_create_latency_seconds_bucket", "function_executor_destroy_latency_seconds_bucket",
        "function_executor_create_server_latency_seconds_bucket", "function_executor_destroy_server_latency_seconds_bucket",
        "function_executor_establish_channel_latency_seconds_bucket", "function_executor_destroy_channel_latency_seconds_bucket",
        "function_executor_get_info_rpc_latency_seconds_bucket", "function_executor_initialize_rpc_latency_seconds_bucket",
        "function_executor_create_health_checker_latency_seconds_bucket", "function_executor_destroy_health_checker_latency_seconds_bucket",
        "function_executor_infos_total", "handle_function_executor_control_loop_event_latency_seconds_bucket",
        "allocations_fetched_total", "schedule_allocation_latency_seconds_bucket", "application_download_latency_seconds_bucket",
        "allocation_preparations_total", "allocation_preparation_latency_seconds_bucket", "allocation_runs_total", "allocation_run_latency_seconds_bucket",
        "allocation_finalizations_total", "allocation_finalization_latency_seconds_bucket",
        "allocations_completed_total", "allocation_completion_latency_seconds_bucket", "runnable_allocations_per_function_name",
    ];

    [Fact]
    public async Task ScrapeAfterRealWorkPassesPromtoolAndCarriesEveryUpstreamMetric()
    {
        await using var scenario = await ExecutorScenario.StartAsync();
        var before = await ScrapeAsync(scenario);
        foreach (var name in AlwaysPresent)
        {
            Assert.True(before.ContainsKey(name), $"{name} is exported from the start");
        }

        // The allocation arrives in the same desired state as its FE (it reaches the FE grain with its start), the way
        // a loaded host often sees two quick changes anyway: every metric must still move.
        var fe = scenario.NewFunctionExecutor(TestFunctions.Echo);
        var ok = scenario.QueueAllocation(fe);
        scenario.Server.AddFunctionExecutor(scenario.ExecutorId, fe);
        await scenario.Server.WaitForResultAsync(ok.AllocationId, TimeSpan.FromSeconds(60));
        scenario.Server.RemoveFunctionExecutor(fe.Id);
        await scenario.Server.WaitForFunctionExecutorGoneAsync(fe.Id, TimeSpan.FromSeconds(60));

        var text = await ScrapeTextAsync(scenario);
        var after = Parse(text);
        foreach (var name in AlwaysPresent.Concat(AfterWork))
        {
            Assert.True(after.ContainsKey(name), $"{name} is exported after real work");
        }

        // What happened moved: one FE created, started and destroyed; one allocation through every stage.
        Assert.Equal(1, Delta(before, after, "function_executor_creates_total"));
        Assert.Equal(1, Delta(before, after, "function_executor_destroys_total"));
        Assert.Equal(1, Delta(before, after, "application_downloads_total"));
        Assert.Equal(1, Sum(after, "allocations_fetched_total"));
        Assert.Equal(1, Sum(after, "allocation_runs_total"));
        Assert.Equal(1, Sum(after, "allocation_finalizations_total"));
        Assert.Equal(1, Value(after, "allocations_completed_total", "outcome_code=\"all\"", "failure_reason=\"all\""));
        Assert.Equal(1, Value(after, "allocations_completed_total", "outcome_code=\"success\"", "failure_reason=\"none\""));
        Assert.Equal(0, Delta(before, after, "function_executor_create_errors_total"));
        Assert.True(Delta(before, after, "state_report_rpcs_total") >= 1);
        Assert.True(Delta(before, after, "state_reconciliations_total") >= 1);
        Assert.Equal(0, Sum(after, "function_executors_count"));
        Assert.Equal(0, Sum(after, "runnable_allocations"));
        Assert.Equal(1, Value(after, "function_executor_infos_total", "version=\"0.1.2\""));

        // promtool (Debian package prometheus) must accept the exposition; the only lints it may raise are about
        // upstream's own names ("_mb" sizes, function_executors_count), kept so existing dashboards keep working.
        var (exitCode, output) = await PromtoolAsync(text);
        var problems = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => !line.EndsWith("metric names should not contain abbreviated units", StringComparison.Ordinal))
            .Where(line => !(line.StartsWith("function_executors_count ", StringComparison.Ordinal) && line.Contains("\"_count\" suffix", StringComparison.Ordinal)))
            .ToList();
        Assert.True(exitCode is 0 or 3, $"promtool failed ({exitCode}): {output}");
        Assert.Empty(problems);
    }

    private static async Task<Dictionary<string, List<(string Labels, double Value)>>> ScrapeAsync(ExecutorScenario scenario) => Parse(await ScrapeTextAsync(scenario));

    private static async Task<string> ScrapeTextAsync(ExecutorScenario scenario)
    {
        var response = await scenario.Executor.GetAsync("/monitoring/metrics");
        Assert.Equal(200, response.Status);
        return response.Body;
    }

    private static Dictionary<string, List<(string Labels, double Value)>> Parse(string text)
    {
        var series = new Dictionary<string, List<(string, double)>>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            var match = SampleLine().Match(line);
            if (!match.Success)
            {
                continue;
            }

            if (!series.TryGetValue(match.Groups["name"].Value, out var list))
            {
                series[match.Groups["name"].Value] = list = [];
            }

            list.Add((match.Groups["labels"].Value, double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture)));
        }

        return series;
    }

    private static double Sum(Dictionary<string, List<(string Labels, double Value)>> series, string name) =>
        series.TryGetValue(name, out var list) ? list.Sum(s => s.Value) : 0;

    private static double Delta(Dictionary<string, List<(string Labels, double Value)>> before, Dictionary<string, List<(string Labels, double Value)>> after, string name) =>
        Sum(after, name) - Sum(before, name);

    private static double Value(Dictionary<string, List<(string Labels, double Value)>> series, string name, params string[] labels) =>
        series.TryGetValue(name, out var list) ? list.Where(s => labels.All(l => s.Labels.Contains(l, StringComparison.Ordinal))).Sum(s => s.Value) : 0;

    private static async Task<(int ExitCode, string Output)> PromtoolAsync(string exposition)
    {
        var start = new ProcessStartInfo("promtool") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("check");
        start.ArgumentList.Add("metrics");
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("promtool is not installed: apt-get install prometheus (.ci/run does this)", ex);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.StandardInput.WriteAsync(exposition);
            process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, (await stdout) + (await stderr));
        }
    }

    [GeneratedRegex("^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(?<labels>[^}]*)\\})? (?<value>[^ ]+)")]
    private static partial Regex SampleLine();
}

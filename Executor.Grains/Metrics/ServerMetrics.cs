using System.Diagnostics.Metrics;

namespace Executor.Metrics;

/// <summary>Instruments of the Server conversation (state reporter, desired-state stream, call_function), upstream names.</summary>
public sealed class ServerMetrics
{
    public ServerMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(ExecutorMeter.Name);
        StateReportRpcs = meter.CreateCounter<long>("state_report_rpcs");
        StateReportRpcErrors = meter.CreateCounter<long>("state_report_rpc_errors");
        StateReportMessagesOverSizeLimit = meter.CreateCounter<long>("state_report_messages_over_size_limit");
        StateReportMessageFragmentations = meter.CreateCounter<long>("state_report_message_fragmentations");
        StateReportRpcLatency = meter.CreateHistogram("state_report_rpc_latency_seconds", unit: null, description: null, tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricBuckets.Fast });
        StateReportMessageSize = meter.CreateHistogram("state_report_message_size_mb", unit: null, description: null, tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricBuckets.SizeMegabytes });
        InvalidResultsQuarantined = meter.CreateCounter<long>("state_report_invalid_results");
        DesiredStateStreams = meter.CreateCounter<long>("desired_state_streams");
        DesiredStateStreamErrors = meter.CreateCounter<long>("desired_state_stream_errors");
        DesiredStateRejectedPieces = meter.CreateCounter<long>("desired_state_rejected_pieces");
        CallFunctionRpcs = meter.CreateCounter<long>("call_function_rpcs");
        CallFunctionRpcErrors = meter.CreateCounter<long>("call_function_rpc_errors");
        CallFunctionRpcLatency = meter.CreateHistogram("call_function_rpc_latency_seconds", unit: null, description: null, tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricBuckets.Fast });
        FunctionCallMessageSize = meter.CreateHistogram("function_call_message_size_mb", unit: null, description: null, tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricBuckets.SizeMegabytes });
        ChannelCreations = meter.CreateCounter<long>("grpc_server_channel_creations");
        ChannelCreationRetries = meter.CreateCounter<long>("grpc_server_channel_creation_retries");
        ChannelCreationLatency = meter.CreateHistogram("grpc_server_channel_creation_latency_seconds", unit: null, description: null, tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricBuckets.Fast });

        // Kept for dashboards built on upstream, where these never move either (its event push is dead code).
        meter.CreateCounter<long>("executor_events_pushed").Add(0);
        meter.CreateCounter<long>("executor_event_push_errors").Add(0);

        // Upstream exports every counter from the start at 0; OpenTelemetry only exports measured series.
        foreach (var counter in new[] { StateReportRpcErrors, StateReportMessagesOverSizeLimit, StateReportMessageFragmentations, InvalidResultsQuarantined, DesiredStateStreamErrors, DesiredStateRejectedPieces, CallFunctionRpcs, CallFunctionRpcErrors, ChannelCreationRetries })
        {
            counter.Add(0);
        }
    }

    public Counter<long> StateReportRpcs { get; }
    public Counter<long> StateReportRpcErrors { get; }
    public Counter<long> StateReportMessagesOverSizeLimit { get; }
    public Counter<long> StateReportMessageFragmentations { get; }
    public Histogram<double> StateReportRpcLatency { get; }
    public Histogram<double> StateReportMessageSize { get; }
    public Counter<long> InvalidResultsQuarantined { get; }
    public Counter<long> DesiredStateStreams { get; }
    public Counter<long> DesiredStateStreamErrors { get; }
    public Counter<long> DesiredStateRejectedPieces { get; }
    public Counter<long> CallFunctionRpcs { get; }
    public Counter<long> CallFunctionRpcErrors { get; }
    public Histogram<double> CallFunctionRpcLatency { get; }
    public Histogram<double> FunctionCallMessageSize { get; }
    public Counter<long> ChannelCreations { get; }
    public Counter<long> ChannelCreationRetries { get; }
    public Histogram<double> ChannelCreationLatency { get; }
}

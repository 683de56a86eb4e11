using System.Diagnostics.Metrics;

namespace Executor.Metrics;

/// <summary>Instruments of the Server conversation (state reporter, desired-state stream, call_function), upstream names.</summary>
public sealed class ServerMetrics
{
    public ServerMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(ExecutorMeter.Name);
        StateReportRpcs = meter.CreateCounter<long>("state_report_rpcs", unit: null, description: "Number of report_executor_state RPCs sent");
        StateReportRpcErrors = meter.CreateCounter<long>("state_report_rpc_errors", unit: null, description: "Number of report_executor_state RPCs that failed");
        StateReportMessagesOverSizeLimit = meter.CreateCounter<long>("state_report_messages_over_size_limit", unit: null, description: "Reports sent although a single result made them exceed the size limit");
        StateReportMessageFragmentations = meter.CreateCounter<long>("state_report_message_fragmentations", unit: null, description: "Reports that left results for a later report to stay under the size limit");
        StateReportRpcLatency = meter.CreateHistogram("state_report_rpc_latency_seconds", unit: null, description: "Latency of report_executor_state RPCs", tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricBuckets.Fast });
        StateReportMessageSize = meter.CreateHistogram("state_report_message_size_mb", unit: null, description: "Size of report messages in MiB", tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricBuckets.SizeMegabytes });
        InvalidResultsQuarantined = meter.CreateCounter<long>("state_report_invalid_results", unit: null, description: "Malformed allocation results replaced by INTERNAL_ERROR failures before sending");
        DesiredStateStreams = meter.CreateCounter<long>("desired_state_streams", unit: null, description: "Desired state streams opened");
        DesiredStateStreamErrors = meter.CreateCounter<long>("desired_state_stream_errors", unit: null, description: "Desired state streams that failed");
        DesiredStateRejectedPieces = meter.CreateCounter<long>("desired_state_rejected_pieces", unit: null, description: "Invalid pieces (FEs, allocations, call results) dropped from desired states");
        CallFunctionRpcs = meter.CreateCounter<long>("call_function_rpcs", unit: null, description: "call_function RPCs sent");
        CallFunctionRpcErrors = meter.CreateCounter<long>("call_function_rpc_errors", unit: null, description: "call_function RPCs that failed");
        CallFunctionRpcLatency = meter.CreateHistogram("call_function_rpc_latency_seconds", unit: null, description: "Latency of call_function RPCs", tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricBuckets.Fast });
        FunctionCallMessageSize = meter.CreateHistogram("function_call_message_size_mb", unit: null, description: "Size of call_function messages in MiB", tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricBuckets.SizeMegabytes });
        ChannelCreations = meter.CreateCounter<long>("grpc_server_channel_creations", unit: null, description: "Channels created to the Server");
        ChannelCreationRetries = meter.CreateCounter<long>("grpc_server_channel_creation_retries", unit: null, description: "Retries while creating a channel to the Server");
        CommandPolls = meter.CreateCounter<long>("command_polls", unit: null, description: "Protocol v2 poll_commands RPCs sent");
        CommandPollErrors = meter.CreateCounter<long>("command_poll_errors", unit: null, description: "Protocol v2 poll_commands RPCs that failed");
        CommandsApplied = meter.CreateCounter<long>("commands_applied", unit: null, description: "Protocol v2 commands applied in sequence");
        CommandSequenceGaps = meter.CreateCounter<long>("command_sequence_gaps", unit: null, description: "Protocol v2 command sequence gaps (answered by a full re-sync)");
        ResultPolls = meter.CreateCounter<long>("result_polls", unit: null, description: "Protocol v2 poll_allocation_results RPCs sent");
        ResultPollErrors = meter.CreateCounter<long>("result_poll_errors", unit: null, description: "Protocol v2 poll_allocation_results RPCs that failed");
        FunctionCallResultsReceived = meter.CreateCounter<long>("function_call_results_received", unit: null, description: "Protocol v2 function call results received for this executor's allocations");
        ResultSequenceGaps = meter.CreateCounter<long>("result_sequence_gaps", unit: null, description: "Protocol v2 result sequence gaps (results the Server no longer has)");
        FullStateSyncs = meter.CreateCounter<long>("full_state_syncs", unit: null, description: "Protocol v2 heartbeats with full_state the Server accepted (registrations)");
        ChannelCreationLatency = meter.CreateHistogram("grpc_server_channel_creation_latency_seconds", unit: null, description: "Time to create a channel to the Server", tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricBuckets.Fast });

        // Kept for dashboards built on upstream, where these never move either (its event push is dead code).
        meter.CreateCounter<long>("executor_events_pushed", unit: null, description: "Executor events pushed (kept for compatibility, never moves)").Add(0);
        meter.CreateCounter<long>("executor_event_push_errors", unit: null, description: "Executor event push errors (kept for compatibility, never moves)").Add(0);

        // Upstream exports every counter from the start at 0; OpenTelemetry only exports measured series.
        foreach (var counter in new[] { StateReportRpcs, DesiredStateStreams, StateReportRpcErrors, StateReportMessagesOverSizeLimit, StateReportMessageFragmentations, InvalidResultsQuarantined, DesiredStateStreamErrors, DesiredStateRejectedPieces, CallFunctionRpcs, CallFunctionRpcErrors, ChannelCreationRetries, CommandPolls, CommandPollErrors, CommandsApplied, CommandSequenceGaps, ResultPolls, ResultPollErrors, FunctionCallResultsReceived, ResultSequenceGaps, FullStateSyncs })
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
    public Counter<long> CommandPolls { get; }
    public Counter<long> CommandPollErrors { get; }
    public Counter<long> CommandsApplied { get; }
    public Counter<long> CommandSequenceGaps { get; }
    public Counter<long> ResultPolls { get; }
    public Counter<long> ResultPollErrors { get; }
    public Counter<long> FunctionCallResultsReceived { get; }
    public Counter<long> ResultSequenceGaps { get; }
    public Counter<long> FullStateSyncs { get; }
    public Counter<long> ChannelCreations { get; }
    public Counter<long> ChannelCreationRetries { get; }
    public Histogram<double> ChannelCreationLatency { get; }
}

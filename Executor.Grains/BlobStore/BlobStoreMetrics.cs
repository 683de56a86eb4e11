using System.Diagnostics;
using System.Diagnostics.Metrics;
using Executor.Metrics;

namespace Executor.BlobStore;

/// <summary>
/// BLOB store instruments with upstream's names (executor-behavior.md §14): per operation
/// <c>blob_store_&lt;op&gt;_requests</c>, <c>…_errors</c> and <c>…_latency_seconds</c> (fast buckets), plus
/// bytes read and written.
/// </summary>
public sealed class BlobStoreMetrics
{
    private readonly Instruments[] _byOperation;
    private readonly Counter<long> _bytesRead;
    private readonly Counter<long> _bytesWritten;

    public BlobStoreMetrics(IMeterFactory meterFactory)
    {
        Meter = meterFactory.Create(ExecutorMeter.Name);
        var advice = new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricBuckets.Fast };
        _byOperation = Enum.GetValues<BlobStoreOperation>()
            .Select(op =>
            {
                var name = MetricName(op);
                var requests = Meter.CreateCounter<long>($"blob_store_{name}_requests", description: $"BLOB store {name} requests");
                var errors = Meter.CreateCounter<long>($"blob_store_{name}_errors", description: $"BLOB store {name} request errors");

                // Exported from the start at 0, as upstream's counters are.
                requests.Add(0);
                errors.Add(0);
                return new Instruments(
                    requests,
                    errors,
                    Meter.CreateHistogram($"blob_store_{name}_latency_seconds", unit: "s",
                        description: $"BLOB store {name} request latency", tags: null, advice: advice));
            })
            .ToArray();
        _bytesRead = Meter.CreateCounter<long>("blob_store_read_bytes", unit: "By", description: "Bytes read from the BLOB store by the executor");
        _bytesWritten = Meter.CreateCounter<long>("blob_store_written_bytes", unit: "By", description: "Bytes written to the BLOB store by the executor");
    }

    internal Meter Meter { get; }

    /// <summary>The snake_case operation name used in metric names, e.g. <c>get_metadata</c>.</summary>
    public static string MetricName(BlobStoreOperation operation) => operation switch
    {
        BlobStoreOperation.Get => "get",
        BlobStoreOperation.GetMetadata => "get_metadata",
        BlobStoreOperation.PresignUri => "presign_uri",
        BlobStoreOperation.Upload => "upload",
        BlobStoreOperation.CreateMultipartUpload => "create_multipart_upload",
        BlobStoreOperation.CompleteMultipartUpload => "complete_multipart_upload",
        BlobStoreOperation.AbortMultipartUpload => "abort_multipart_upload",
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, null),
    };

    /// <summary>Counts a request and times it; dispose the returned scope when the request ends.</summary>
    public RequestScope Start(BlobStoreOperation operation)
    {
        var instruments = _byOperation[(int)operation];
        instruments.Requests.Add(1);
        return new RequestScope(instruments, Stopwatch.GetTimestamp());
    }

    public void BytesRead(long count) => _bytesRead.Add(count);

    public void BytesWritten(long count) => _bytesWritten.Add(count);

    /// <summary>One request in flight. Errors are counted on every exception, not-found included, as upstream.</summary>
    public readonly struct RequestScope : IDisposable
    {
        private readonly Instruments _instruments;
        private readonly long _started;

        internal RequestScope(Instruments instruments, long started)
        {
            _instruments = instruments;
            _started = started;
        }

        public void Failed() => _instruments.Errors.Add(1);

        public void Dispose() => _instruments.Latency.Record(Stopwatch.GetElapsedTime(_started).TotalSeconds);
    }

    internal sealed record Instruments(Counter<long> Requests, Counter<long> Errors, Histogram<double> Latency);
}

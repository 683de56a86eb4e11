using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Executor.BlobStore.Tests.Infrastructure;
using Executor.Metrics;
using Executor.Testing;

namespace Executor.BlobStore.Tests;

public sealed class MetricsTests : IDisposable
{
    private readonly BlobStoreMetrics _metrics = TestStores.NewMetrics();
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, double> _totals = new();
    private readonly ConcurrentDictionary<string, int> _histogramCounts = new();
    private readonly ConcurrentDictionary<string, Instrument> _instruments = new();

    public MetricsTests()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, _metrics.Meter))
            {
                _instruments[instrument.Name] = instrument;
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => _totals.AddOrUpdate(instrument.Name, value, (_, v) => v + value));
        _listener.SetMeasurementEventCallback<double>((instrument, _, _, _) => _histogramCounts.AddOrUpdate(instrument.Name, 1, (_, v) => v + 1));
        _listener.Start();
    }

    public void Dispose() => _listener.Dispose();

    [Fact]
    public void Every_upstream_instrument_exists_on_the_executor_meter_with_fast_buckets()
    {
        Assert.Equal(ExecutorMeter.Name, _metrics.Meter.Name);
        foreach (var op in new[] { "get", "get_metadata", "presign_uri", "upload", "create_multipart_upload", "complete_multipart_upload", "abort_multipart_upload" })
        {
            Assert.IsType<Counter<long>>(_instruments[$"blob_store_{op}_requests"]);
            Assert.IsType<Counter<long>>(_instruments[$"blob_store_{op}_errors"]);
            var histogram = Assert.IsType<Histogram<double>>(_instruments[$"blob_store_{op}_latency_seconds"]);
            Assert.Equal("s", histogram.Unit);
            Assert.Equal(MetricBuckets.Fast, histogram.Advice!.HistogramBucketBoundaries!);
        }

        Assert.Contains("blob_store_read_bytes", _instruments.Keys);
        Assert.Contains("blob_store_written_bytes", _instruments.Keys);
    }

    [Fact]
    public async Task Requests_errors_latency_and_bytes_are_recorded()
    {
        using var temp = new TempDirectory("blobstore-metrics");
        using var store = TestStores.Router(TestStores.SmallChunkOptions(null, temp.Path), metrics: _metrics);
        var uri = "file://" + temp.Combine("blob");

        await store.PutAsync(uri, new byte[100], CancellationToken.None);
        await store.GetAsync(uri, CancellationToken.None);
        await store.GetRangeAsync(uri, 10, 20, CancellationToken.None);
        await Assert.ThrowsAsync<BlobNotFoundException>(() => store.GetSizeAsync(uri + ".missing", CancellationToken.None));
        await Assert.ThrowsAsync<BlobAccessDeniedException>(() => store.PresignGetAsync("file:///etc/passwd", CancellationToken.None));

        Assert.Equal(1, Total("blob_store_upload_requests"));
        Assert.Equal(0, Total("blob_store_upload_errors"));
        Assert.Equal(2, Total("blob_store_get_requests"));
        Assert.Equal(1, Total("blob_store_get_metadata_requests"));
        Assert.Equal(1, Total("blob_store_get_metadata_errors"));
        Assert.Equal(1, Total("blob_store_presign_uri_errors"));
        Assert.Equal(100, Total("blob_store_written_bytes"));
        Assert.Equal(120, Total("blob_store_read_bytes"));
        Assert.Equal(2, _histogramCounts.GetValueOrDefault("blob_store_get_latency_seconds"));
        Assert.Equal(1, _histogramCounts.GetValueOrDefault("blob_store_get_metadata_latency_seconds"));
    }

    private double Total(string name) => _totals.GetValueOrDefault(name);
}

using System.Collections.Concurrent;
using Executor.BlobStore;

namespace Executor.Allocations.Tests.Infrastructure;

/// <summary>A BLOB store that only hands out upload ids and URIs and records which multipart uploads were completed (with ETags) or aborted.</summary>
internal sealed class RecordingBlobStore : IBlobStore
{
    private readonly ConcurrentQueue<(string Uri, IReadOnlyList<string> ETags)> _completed = new();
    private readonly ConcurrentQueue<string> _aborted = new();
    private int _uploads;

    public IReadOnlyList<(string Uri, IReadOnlyList<string> ETags)> Completed => [.. _completed];

    public IReadOnlyList<string> Aborted => [.. _aborted];

    public Task<string> CreateMultipartUploadAsync(string uri, CancellationToken cancellationToken) =>
        Task.FromResult($"upload-{Interlocked.Increment(ref _uploads)}");

    public Task<string> PresignUploadPartAsync(string uri, string uploadId, int partNumber, CancellationToken cancellationToken) =>
        Task.FromResult($"{uri}?uploadId={uploadId}&partNumber={partNumber}");

    public Task CompleteMultipartUploadAsync(string uri, string uploadId, IReadOnlyList<string> partETags, CancellationToken cancellationToken)
    {
        _completed.Enqueue((uri, partETags));
        return Task.CompletedTask;
    }

    public Task AbortMultipartUploadAsync(string uri, string uploadId, CancellationToken cancellationToken)
    {
        _aborted.Enqueue(uri);
        return Task.CompletedTask;
    }

    public Task<string> PresignGetAsync(string uri, CancellationToken cancellationToken) => Task.FromResult(uri + "?presigned");

    public Task<long> GetSizeAsync(string uri, CancellationToken cancellationToken) => throw new BlobNotFoundException($"{uri} does not exist");

    public Task<byte[]> GetAsync(string uri, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<byte[]> GetRangeAsync(string uri, long offset, long length, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task PutAsync(string uri, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => throw new NotSupportedException();
}

using Executor.BlobStore;
using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.Allocations;

/// <summary>
/// The multipart uploads one allocation has open: the request-error BLOB, output BLOBs the FE asked for (values,
/// function-call arguments) and request-state writes. Each is completed with the FE's ETags once the FE says it
/// wrote it; whatever is still open when the run ends is aborted (upstream leaks them).
/// </summary>
public sealed class AllocationUploads(AllocationContext context)
{
    private readonly Dictionary<string, PendingUpload> _outputBlobs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PendingUpload> _stateWrites = new(StringComparer.Ordinal);
    private PendingUpload? _requestError;

    /// <summary>One request-error BLOB per allocation, so concurrent allocations of a request never share it.</summary>
    public async Task<Fe.BLOB> CreateRequestErrorBlobAsync(CancellationToken cancellationToken)
    {
        var spec = context.Spec;
        var uri = $"{spec.RequestErrorPayloadUriPrefix}.{spec.AllocationId}.req_error";
        var uploadId = await context.Blobs.Store.CreateMultipartUploadAsync(uri, cancellationToken);
        _requestError = new PendingUpload(uri, uploadId);
        return await context.Blobs.WritableAsync("request_error_blob", uri, uploadId, BlobLayout.RequestErrorBlobSize, cancellationToken);
    }

    /// <summary>Completes the request-error BLOB with the ETags of <paramref name="uploaded"/> (none when absent); null when there is no open request-error upload.</summary>
    public async Task<string?> CompleteRequestErrorBlobAsync(Fe.BLOB? uploaded)
    {
        if (_requestError is not { UploadId: not null } upload)
        {
            return null;
        }

        await context.Blobs.Store.CompleteMultipartUploadAsync(upload.Uri, upload.UploadId, uploaded is null ? [] : BlobMessages.ETags(uploaded), context.Stopping);
        _requestError = null;
        return upload.Uri;
    }

    /// <summary>True when the FE already asked for this output BLOB (states repeat their requests).</summary>
    public bool KnowsOutputBlob(string id) => _outputBlobs.ContainsKey(id);

    /// <summary>Opens the upload for an output BLOB the FE asked for and returns the writable BLOB; throws when the store refuses.</summary>
    public async Task<Fe.BLOB> CreateOutputBlobAsync(string id, long size)
    {
        var uri = OutputBlobUri(id);
        try
        {
            var uploadId = await context.Blobs.Store.CreateMultipartUploadAsync(uri, context.Stopping);
            _outputBlobs[id] = new PendingUpload(uri, uploadId);
            return await context.Blobs.WritableAsync(id, uri, uploadId, size, context.Stopping);
        }
        catch (Exception) when (!context.Stopping.IsCancellationRequested)
        {
            // Remembered as failed, so a repeated request is not answered again.
            _outputBlobs.TryAdd(id, new PendingUpload(uri, null));
            throw;
        }
    }

    /// <summary>Completes a pending output BLOB with the FE's ETags; null when the id names no pending output BLOB.</summary>
    public async Task<string?> CompleteOutputBlobAsync(Fe.BLOB blob)
    {
        if (!blob.HasId || !_outputBlobs.TryGetValue(blob.Id, out var upload) || upload.UploadId is null)
        {
            return null;
        }

        // Forgotten only once completed: if completion fails the upload stays pending and is aborted at exit.
        await context.Blobs.Store.CompleteMultipartUploadAsync(upload.Uri, upload.UploadId, BlobMessages.ETags(blob), context.Stopping);
        _outputBlobs.Remove(blob.Id);
        return upload.Uri;
    }

    /// <summary>Opens a request-state write at <paramref name="uri"/>, named by its operation id.</summary>
    public async Task<Fe.BLOB> CreateStateWriteAsync(string operationId, string uri, long size)
    {
        var uploadId = await context.Blobs.Store.CreateMultipartUploadAsync(uri, context.Stopping);
        _stateWrites[operationId] = new PendingUpload(uri, uploadId);
        return await context.Blobs.WritableAsync(operationId, uri, uploadId, size, context.Stopping);
    }

    /// <summary>Completes the state write the BLOB names; false when it names none.</summary>
    public async Task<bool> CompleteStateWriteAsync(Fe.BLOB? blob)
    {
        if (blob is null || !blob.HasId || !_stateWrites.TryGetValue(blob.Id, out var write) || write.UploadId is null)
        {
            return false;
        }

        // Forgotten only once completed: a failed completion stays pending and is aborted at exit.
        await context.Blobs.Store.CompleteMultipartUploadAsync(write.Uri, write.UploadId, BlobMessages.ETags(blob), context.Stopping);
        _stateWrites.Remove(blob.Id);
        return true;
    }

    /// <summary>Aborts every upload still open, each bounded by the FE RPC timeout; failures are logged.</summary>
    public async Task AbortAllAsync()
    {
        var uploads = _outputBlobs.Values.Concat(_stateWrites.Values).Append(_requestError).Where(u => u?.UploadId is not null).ToList();
        foreach (var upload in uploads)
        {
            try
            {
                using var timeout = new CancellationTokenSource(context.Options.FunctionExecutorRpcTimeout);
                await context.Blobs.Store.AbortMultipartUploadAsync(upload!.Uri, upload.UploadId!, timeout.Token);
            }
            catch (Exception ex) when (ex is BlobStoreException or IOException or OperationCanceledException or UnauthorizedAccessException)
            {
                AllocationLog.AbortFailed(context.Logger, upload!.Uri, ex.Message);
            }
        }
    }

    private string OutputBlobUri(string id) => $"{context.Spec.RequestDataPayloadUriPrefix}.{context.Spec.AllocationId}.{id}.output";

    private sealed record PendingUpload(string Uri, string? UploadId);
}

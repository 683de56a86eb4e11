namespace Executor.BlobStore;

/// <summary>The object (or the multipart upload) does not exist. Request-state reads answer NOT_FOUND on this.</summary>
public sealed class BlobNotFoundException : BlobStoreException
{
    public BlobNotFoundException(string message)
        : base(message)
    {
    }

    public BlobNotFoundException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

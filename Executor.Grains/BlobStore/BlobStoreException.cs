namespace Executor.BlobStore;

/// <summary>
/// A BLOB store operation failed. The message names the operation and the URI as given by the caller,
/// never credentials or presigned query strings.
/// </summary>
public class BlobStoreException : Exception
{
    public BlobStoreException(string message)
        : base(message)
    {
    }

    public BlobStoreException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

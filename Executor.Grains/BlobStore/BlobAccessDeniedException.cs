namespace Executor.BlobStore;

/// <summary>
/// The URI is refused before any I/O: a <c>file://</c> path outside <see cref="BlobStoreOptions.AllowedRoots"/>
/// (after resolving <c>..</c> and symlinks), a relative path, or an unsupported scheme.
/// </summary>
public sealed class BlobAccessDeniedException : BlobStoreException
{
    public BlobAccessDeniedException(string message)
        : base(message)
    {
    }

    public BlobAccessDeniedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

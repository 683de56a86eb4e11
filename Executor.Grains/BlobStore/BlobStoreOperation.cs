namespace Executor.BlobStore;

/// <summary>The operations metered separately, named as upstream's <c>blob_store_&lt;op&gt;_*</c> metrics.</summary>
public enum BlobStoreOperation
{
    /// <summary>Whole and ranged reads.</summary>
    Get,

    /// <summary>Object size.</summary>
    GetMetadata,

    /// <summary>Presigned GET and presigned upload-part URIs (one metric, as upstream).</summary>
    PresignUri,

    /// <summary>Whole-object writes.</summary>
    Upload,

    CreateMultipartUpload,
    CompleteMultipartUpload,
    AbortMultipartUpload,
}

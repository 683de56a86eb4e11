namespace Executor.BlobStore;

/// <summary>
/// One chunk of a BLOB handed to a Function Executor: its part number (from 1; the S3 part number for
/// writable BLOBs), where it starts in the object and how many bytes it covers.
/// </summary>
public readonly record struct BlobChunkSpan(int PartNumber, long Offset, long Size)
{
    public long End => Offset + Size;
}

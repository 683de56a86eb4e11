namespace Executor.Model;

/// <summary>How a payload's bytes are encoded (mirrors both protocols' encodings value for value).</summary>
public enum PayloadEncoding
{
    Unknown = 0,
    Utf8Json = 1,
    Utf8Text = 2,
    BinaryPickle = 3,
    BinaryZip = 4,
    Raw = 5,
}

/// <summary>A byte range inside a blob (file:// or s3://) with its encoding and SHA-256.</summary>
[GenerateSerializer, Immutable, Alias("Executor.Model.DataPayloadRef")]
public sealed record DataPayloadRef
{
    [Id(0)] public required string Uri { get; init; }
    [Id(1)] public PayloadEncoding Encoding { get; init; }
    [Id(2)] public ulong EncodingVersion { get; init; }
    [Id(3)] public string? ContentType { get; init; }
    [Id(4)] public ulong MetadataSize { get; init; }
    [Id(5)] public ulong Offset { get; init; }
    [Id(6)] public ulong Size { get; init; }
    [Id(7)] public required string Sha256 { get; init; }
    [Id(8)] public string? SourceFunctionCallId { get; init; }
    [Id(9)] public string? Id { get; init; }
}

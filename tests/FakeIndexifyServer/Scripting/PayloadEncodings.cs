using Executor.Protocol.ServerV1;

namespace FakeIndexifyServer;

/// <summary>The server's mapping between stored MIME types and DataPayload encodings.</summary>
public static class PayloadEncodings
{
    public const string Json = "application/json";
    public const string Pickle = "application/python-pickle";
    public const string Zip = "application/zip";
    public const string Text = "text/plain";
    public const string OctetStream = "application/octet-stream";

    /// <summary>MIME type → encoding, as the server does when building allocation args.</summary>
    public static DataPayloadEncoding FromMimeType(string mimeType) => mimeType switch
    {
        Json => DataPayloadEncoding.Utf8Json,
        Pickle => DataPayloadEncoding.BinaryPickle,
        Zip => DataPayloadEncoding.BinaryZip,
        Text => DataPayloadEncoding.Utf8Text,
        _ => DataPayloadEncoding.Raw,
    };

    /// <summary>Encoding → MIME type, as the server does when ingesting results without content_type.</summary>
    public static string ToMimeType(DataPayloadEncoding encoding) => encoding switch
    {
        DataPayloadEncoding.Utf8Json => Json,
        DataPayloadEncoding.BinaryPickle => Pickle,
        DataPayloadEncoding.Utf8Text => Text,
        DataPayloadEncoding.BinaryZip => Zip,
        _ => OctetStream,
    };
}

using System.Text.Json;
using Executor.Protocol.FunctionExecutorV1;

namespace TestFunctionExecutor;

/// <summary>
/// The first argument of an allocation: its bytes, its manifest, and — when the bytes are
/// UTF-8 JSON — the parsed value, which may parametrise behaviours (TestFunctions.Input).
/// </summary>
internal sealed class FunctionInput
{
    private readonly JsonElement? _json;

    public FunctionInput(byte[] bytes, SerializedObjectManifest? manifest)
    {
        Bytes = bytes;
        Manifest = manifest;
        try
        {
            using var document = JsonDocument.Parse(bytes);
            _json = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            _json = null;
        }
    }

    public byte[] Bytes { get; }

    /// <summary>The argument's manifest; null when the allocation had no argument.</summary>
    public SerializedObjectManifest? Manifest { get; }

    public SerializedObjectEncoding Encoding => Manifest is { HasEncoding: true } m ? m.Encoding : SerializedObjectEncoding.Raw;

    public ulong EncodingVersion => Manifest?.EncodingVersion ?? 0;

    public string? ContentType => Manifest is { HasContentType: true } m ? m.ContentType : null;

    /// <summary>The whole input as a JSON number, e.g. the run time of sleep.</summary>
    public double? Number => _json is { ValueKind: JsonValueKind.Number } n ? n.GetDouble() : null;

    public string? GetString(string field)
        => _json is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public double? GetNumber(string field)
        => _json is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    public static byte[] Utf8(string text) => System.Text.Encoding.UTF8.GetBytes(text);
}

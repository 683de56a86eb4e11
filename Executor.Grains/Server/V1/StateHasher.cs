using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using ProtoV1 = Executor.Protocol.ServerV1;

namespace Executor.Server.V1;

/// <summary>
/// state_hash: SHA-256 (lowercase hex) of the ExecutorState without state_hash and server_clock. Map order in
/// Google.Protobuf is undefined, so labels are hashed separately in ordinal key order: stable when nothing
/// changed, different whenever any hashed field changes. The caller passes the state before its labels, state_hash
/// and server_clock are set, so it is serialized as it is (reports are hashed once per report; no copy).
/// </summary>
internal static class StateHasher
{
    public static string Compute(ProtoV1.ExecutorState state, IReadOnlyDictionary<string, string> labels)
    {
        if (state.HasStateHash || state.HasServerClock || state.Labels.Count > 0)
        {
            throw new ArgumentException("hash the state before its labels, state_hash and server_clock are set", nameof(state));
        }

        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(state.ToByteArray());
        Span<byte> length = stackalloc byte[4];
        foreach (var (key, value) in labels.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            AppendString(sha, key, length);
            AppendString(sha, value, length);
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static void AppendString(IncrementalHash sha, string text, Span<byte> length)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
        sha.AppendData(length);
        sha.AppendData(bytes);
    }
}

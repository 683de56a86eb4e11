using System.Net;
using System.Security.Cryptography;

namespace TestFunctionExecutor;

/// <summary>
/// Bytes to upload, produced on demand by absolute offset so that huge outputs (big_output_*)
/// never need one buffer of their full size.
/// </summary>
internal abstract class OutputSource
{
    public const int BufferSize = 1 << 20;

    public abstract long Length { get; }

    public abstract void Fill(long offset, Span<byte> destination);

    public string Sha256Hex()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[(int)Math.Min(BufferSize, Math.Max(1, Length))];
        for (long offset = 0; offset < Length; offset += buffer.Length)
        {
            var span = buffer.AsSpan(0, (int)Math.Min(buffer.Length, Length - offset));
            Fill(offset, span);
            hash.AppendData(span);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>HTTP body for the range [offset, offset+count) with an explicit Content-Length (S3 parts need it).</summary>
    public HttpContent ToContent(long offset, long count) => new RangeContent(this, offset, count);

    private sealed class RangeContent(OutputSource source, long offset, long count) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var buffer = new byte[(int)Math.Min(BufferSize, Math.Max(1, count))];
            for (long done = 0; done < count; done += buffer.Length)
            {
                var n = (int)Math.Min(buffer.Length, count - done);
                source.Fill(offset + done, buffer.AsSpan(0, n));
                await stream.WriteAsync(buffer.AsMemory(0, n)).ConfigureAwait(false);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = count;
            return true;
        }
    }
}

/// <summary>An output held in memory.</summary>
internal sealed class BytesSource(byte[] bytes) : OutputSource
{
    public override long Length => bytes.Length;

    public override void Fill(long offset, Span<byte> destination) => bytes.AsSpan((int)offset, destination.Length).CopyTo(destination);
}

/// <summary>The deterministic big_output_* content (see <see cref="TestFunctions.FillPattern"/>).</summary>
internal sealed class PatternSource(uint seed, long length) : OutputSource
{
    public override long Length => length;

    public override void Fill(long offset, Span<byte> destination) => TestFunctions.FillPattern(seed, offset, destination);
}

using System.Text;

namespace Executor.FunctionExecutors.Processes;

/// <summary>
/// The FE's stdout+stderr on disk, capped at a byte limit (then one "[truncated]" line), plus the last few KB
/// in memory for crash reports. Thread-safe: both output pumps append concurrently.
/// </summary>
internal sealed class DiagnosticsLog : IAsyncDisposable
{
    public const int TailCapacity = 8 * 1024;

    private static readonly byte[] TruncatedLine = Encoding.UTF8.GetBytes("\n[truncated]\n");

    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly long _maxBytes;
    private readonly byte[] _tail = new byte[TailCapacity];
    private FileStream? _file;
    private long _written;
    private bool _truncated;
    private int _tailStart;
    private int _tailLength;

    public DiagnosticsLog(string path, long maxBytes)
    {
        Path = path;
        _maxBytes = maxBytes;
        System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);

        // Unbuffered so the file is current while the FE runs (people tail it).
        _file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0, useAsync: true);
    }

    public string Path { get; }

    /// <summary>Writes a line of our own (e.g. the attempt marker); counts against the limit like FE output.</summary>
    public Task AppendLineAsync(string line) => AppendAsync(Encoding.UTF8.GetBytes(line + "\n"), keepInTail: false);

    public async Task AppendAsync(ReadOnlyMemory<byte> data, bool keepInTail = true)
    {
        await _lock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (keepInTail)
            {
                AddToTail(data.Span);
            }

            if (_file is null || _truncated)
            {
                return;
            }

            var room = _maxBytes - _written;
            try
            {
                if (data.Length <= room)
                {
                    await _file.WriteAsync(data).ConfigureAwait(false);
                    _written += data.Length;
                    return;
                }

                if (room > 0)
                {
                    await _file.WriteAsync(data[..(int)room]).ConfigureAwait(false);
                    _written += room;
                }

                await _file.WriteAsync(TruncatedLine).ConfigureAwait(false);
                _truncated = true;
            }
            catch (IOException)
            {
                // Disk full or similar: diagnostics must never take the FE down; keep the in-memory tail only.
                _truncated = true;
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Forgets the in-memory tail (a new launch attempt starts).</summary>
    public void ResetTail()
    {
        _lock.Wait();
        try
        {
            _tailStart = 0;
            _tailLength = 0;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>The last few KB of output, decoded as UTF-8 (invalid bytes replaced); null when there was none.</summary>
    public string? Tail()
    {
        _lock.Wait();
        try
        {
            if (_tailLength == 0)
            {
                return null;
            }

            var bytes = new byte[_tailLength];
            var first = Math.Min(_tailLength, TailCapacity - _tailStart);
            Array.Copy(_tail, _tailStart, bytes, 0, first);
            Array.Copy(_tail, 0, bytes, first, _tailLength - first);
            return Encoding.UTF8.GetString(bytes);
        }
        finally
        {
            _lock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _lock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_file is not null)
            {
                await _file.DisposeAsync().ConfigureAwait(false);
                _file = null;
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    private void AddToTail(ReadOnlySpan<byte> data)
    {
        if (data.Length >= TailCapacity)
        {
            data[^TailCapacity..].CopyTo(_tail);
            _tailStart = 0;
            _tailLength = TailCapacity;
            return;
        }

        // Ring buffer: copy in at most two pieces, then drop the oldest bytes that were overwritten.
        var end = (_tailStart + _tailLength) % TailCapacity;
        var first = Math.Min(data.Length, TailCapacity - end);
        data[..first].CopyTo(_tail.AsSpan(end));
        data[first..].CopyTo(_tail);
        var overflow = Math.Max(0, _tailLength + data.Length - TailCapacity);
        _tailStart = (_tailStart + overflow) % TailCapacity;
        _tailLength = Math.Min(TailCapacity, _tailLength + data.Length);
    }
}

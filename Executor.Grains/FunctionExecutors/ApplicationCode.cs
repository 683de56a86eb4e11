namespace Executor.FunctionExecutors;

/// <summary>An application code bundle and whether it came from the on-disk cache (no download).</summary>
public sealed record ApplicationCode(byte[] Bytes, bool FromCache);

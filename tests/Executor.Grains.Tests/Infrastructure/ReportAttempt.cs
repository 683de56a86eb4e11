using Executor.Server;

namespace Executor.Grains.Tests.Infrastructure;

/// <summary>One report the executor sent (the <paramref name="Index"/>-th): what it said and whether the Server accepted it.</summary>
public sealed record ReportAttempt(int Index, ExecutorReport Report, bool Accepted);

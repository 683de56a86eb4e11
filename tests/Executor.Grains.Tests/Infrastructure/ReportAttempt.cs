using Executor.Server;

namespace Executor.Grains.Tests.Infrastructure;

/// <summary>One report the executor sent: what it said, whether the Server accepted it, and when (on the test's clock).</summary>
public sealed record ReportAttempt(int Index, ExecutorReport Report, bool Accepted, DateTimeOffset At);

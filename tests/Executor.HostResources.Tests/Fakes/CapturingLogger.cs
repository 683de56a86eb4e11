using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Executor.HostResources.Tests.Fakes;

/// <summary>Records every log entry so tests can assert what was warned about.</summary>
public sealed class CapturingLogger<T> : ILogger<T>
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyList<LogEntry> Entries => _entries.ToArray();

    public IReadOnlyList<LogEntry> Warnings => Entries.Where(e => e.Level == LogLevel.Warning).ToList();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        => _entries.Enqueue(new LogEntry(logLevel, eventId.Id, formatter(state, exception)));
}

public sealed record LogEntry(LogLevel Level, int EventId, string Message);

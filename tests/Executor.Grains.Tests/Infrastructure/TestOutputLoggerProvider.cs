using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Executor.Grains.Tests.Infrastructure;

/// <summary>Silo logs into the test's output (shown when it fails); lines written after the test ended are dropped.</summary>
public sealed class TestOutputLoggerProvider(ITestOutputHelper output) : ILoggerProvider
{
    private readonly DateTime _started = DateTime.UtcNow;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName[(categoryName.LastIndexOf('.') + 1)..]);

    public void Dispose()
    {
    }

    private void Write(string line)
    {
        try
        {
            output.WriteLine($"{(DateTime.UtcNow - _started).TotalSeconds,7:0.000} {line}");
        }
        catch (InvalidOperationException)
        {
            // The test is over.
        }
    }

    private sealed class Logger(TestOutputLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = $"{logLevel.ToString()[..4]} {category}: {formatter(state, exception)}";
            provider.Write(exception is null ? line : $"{line}{Environment.NewLine}{exception}");
        }
    }
}

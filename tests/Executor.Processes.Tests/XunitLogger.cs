using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Executor.Processes.Tests;

/// <summary>Sends the code under test's log lines to the xunit output of the running test (shown on failure).</summary>
internal sealed class XunitLogger<T>(ITestOutputHelper output) : ILogger<T>
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        try
        {
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {typeof(T).Name}: {formatter(state, exception)}{(exception is null ? string.Empty : " " + exception)}");
        }
        catch (InvalidOperationException)
        {
            // The test already finished (a background exit watcher logging late).
        }
    }
}

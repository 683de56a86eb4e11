using Microsoft.Extensions.Logging;

namespace Executor.Logging;

/// <summary>
/// A logger that writes every line inside a scope of its <see cref="LogContext"/> (executor, Function Executor,
/// allocation ids), whatever entry point the line comes from: grain call, timer or background task. It wraps the
/// inner logger and delegates IsEnabled and BeginScope to it.
/// </summary>
public sealed class ContextLogger : ILogger
{
    // The context opened around calls into shared services (EnterScope), so lines already inside it are not scoped twice.
    private static readonly AsyncLocal<LogContext?> Open = new();

    private readonly ILogger _inner;

    public ContextLogger(ILogger inner, LogContext context)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(context);
        _inner = inner is ContextLogger contextLogger ? contextLogger._inner : inner;
        Context = context;
    }

    public LogContext Context { get; }

    /// <summary>The same inner logger with another context (e.g. an allocation of this FE).</summary>
    public ContextLogger WithContext(LogContext context) => new(_inner, context);

    public bool IsEnabled(LogLevel logLevel) => _inner.IsEnabled(logLevel);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => _inner.BeginScope(state);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!_inner.IsEnabled(logLevel))
        {
            return;
        }

        var missing = Context.Missing(Open.Value);
        if (missing is null)
        {
            _inner.Log(logLevel, eventId, state, exception, formatter);
            return;
        }

        using (_inner.BeginScope(missing))
        {
            _inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }

    /// <summary>
    /// Opens this context as an ambient scope until disposed: lines that shared services (process launcher, code
    /// cache, blob store, host resources) write for work started inside it carry these ids too.
    /// </summary>
    public IDisposable EnterScope()
    {
        var previous = Open.Value;
        var missing = Context.Missing(previous);
        if (missing is null)
        {
            return NoScope.Instance;
        }

        var scope = _inner.BeginScope(missing);
        Open.Value = Context;
        return new AmbientScope(previous, scope);
    }

    private sealed class AmbientScope(LogContext? previous, IDisposable? scope) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            Open.Value = previous;
            scope?.Dispose();
        }
    }

    private sealed class NoScope : IDisposable
    {
        public static readonly NoScope Instance = new();

        public void Dispose()
        {
        }
    }
}

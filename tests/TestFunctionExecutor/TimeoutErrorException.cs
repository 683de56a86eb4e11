namespace TestFunctionExecutor;

/// <summary>The SDK's TimeoutError in user code: a watcher with a deadline ended TIMEDOUT (0.1.3) or timed out locally (0.1.2).</summary>
internal sealed class TimeoutErrorException(string message) : FunctionErrorException(message);

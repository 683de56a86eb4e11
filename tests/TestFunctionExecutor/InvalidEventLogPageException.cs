namespace TestFunctionExecutor;

/// <summary>0.1.3: a send_allocation_event_log_read_response page that breaks the clock rules (see <see cref="EventLogPage"/>).</summary>
internal sealed class InvalidEventLogPageException(string message) : Exception(message);

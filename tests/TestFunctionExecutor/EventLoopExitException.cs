namespace TestFunctionExecutor;

/// <summary>
/// 0.1.3: the emergency shutdown the real FE raises in user code at its next SDK call (start or
/// wait) once the event log could not be processed or the FE is stopping. Not catchable by user
/// code; the allocation finishes INTERNAL_ERROR.
/// </summary>
internal sealed class EventLoopExitException() : Exception("Emergency Tensorlake event loop shutdown");

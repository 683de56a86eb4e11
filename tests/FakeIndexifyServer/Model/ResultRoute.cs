namespace FakeIndexifyServer.Model;

/// <summary>
/// v2: where a child call's result goes. Registered by a call_function log entry for each called op id; a tail call
/// of the child moves it to the tail call's root while keeping the id the parent originally called.
/// </summary>
internal sealed record ResultRoute(string ParentAllocationId, string ExecutorId, string OriginalFunctionCallId);

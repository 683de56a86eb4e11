namespace TestFunctionExecutor;

/// <summary>The SDK's SerializationError in user code: a child call's arguments could not be serialized (call_creation_failed).</summary>
internal sealed class SerializationErrorException(string message) : FunctionErrorException(message);

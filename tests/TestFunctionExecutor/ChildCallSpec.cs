using Executor.Protocol.FunctionExecutorV1;

namespace TestFunctionExecutor;

/// <summary>
/// A child call user code asks for: a function of the same application, and either one argument
/// (uploaded by the runner into an output BLOB when the call is started) or
/// <paramref name="SerializationFailure"/>, the opaque error metadata of an argument that could not
/// be serialized (nothing is uploaded then).
/// </summary>
internal sealed record ChildCallSpec(string FunctionName, ChildArgument? Argument, byte[]? SerializationFailure = null);

/// <summary>The bytes of a child call's single argument and how they are encoded.</summary>
internal sealed record ChildArgument(OutputSource Data, SerializedObjectEncoding Encoding, ulong EncodingVersion, string? ContentType);

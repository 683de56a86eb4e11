namespace TestFunctionExecutor;

/// <summary>
/// The SDK's RequestError in user code (0.1.3: a child call failed with a request error). Uncaught,
/// the allocation fails REQUEST_ERROR with the same message written into inputs.request_error_blob.
/// </summary>
internal sealed class RequestErrorException(string message) : Exception(message);

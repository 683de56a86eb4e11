namespace TestFunctionExecutor;

/// <summary>
/// Thrown by a scripted function body for failures the real FE reports as FUNCTION_ERROR
/// (exceptions raised inside user code, including SDK errors user code does not catch);
/// any other exception becomes INTERNAL_ERROR.
/// </summary>
internal class FunctionErrorException(string message) : Exception(message);

using Executor.Protocol.ServerV1;
using Grpc.Core;

namespace FakeIndexifyServer.Validation;

/// <summary>call_function validation in the server's order: missing fields are INVALID_ARGUMENT, malformed updates INTERNAL.</summary>
internal static class FunctionCallRequestValidator
{
    public static (StatusCode Code, string Detail)? FindError(FunctionCallRequest request)
    {
        var missing = request.Updates is null ? "updates is required"
            : !request.HasRequestId ? "request_id is required"
            : !request.HasSourceFunctionCallId ? "source_function_call_id is required"
            : !request.HasNamespace ? "namespace is required"
            : !request.HasApplication ? "application is required"
            : !request.Updates.HasRootFunctionCallId ? "root function call id is required"
            : null;
        if (missing is not null)
        {
            return (StatusCode.InvalidArgument, missing);
        }

        return ExecutionPlanUpdatesValidator.FindError(request.Updates!, requireRoot: false) is { } malformed
            ? (StatusCode.Internal, malformed)
            : null;
    }
}

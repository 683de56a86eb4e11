using Google.Protobuf;
using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.Allocations;

/// <summary>Builds the FE's view of an allocation's inputs: readable argument BLOBs and a fresh request-error BLOB.</summary>
public static class AllocationInputs
{
    public static async Task<Fe.FunctionInputs> PrepareAsync(AllocationContext context, AllocationUploads uploads, CancellationToken cancellationToken)
    {
        var inputs = new Fe.FunctionInputs { FunctionCallMetadata = ByteString.CopyFrom(context.Spec.FunctionCallMetadata) };
        foreach (var arg in context.Spec.Args)
        {
            var (value, blob) = await context.Blobs.ReadablePayloadAsync(arg, cancellationToken);
            inputs.Args.Add(value);
            inputs.ArgBlobs.Add(blob);
        }

        inputs.RequestErrorBlob = await uploads.CreateRequestErrorBlobAsync(cancellationToken);
        return inputs;
    }
}

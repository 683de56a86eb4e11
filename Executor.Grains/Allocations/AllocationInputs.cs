using Google.Protobuf;
using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.Allocations;

/// <summary>Builds the FE's view of an allocation's inputs: readable argument BLOBs and a fresh request-error BLOB.</summary>
public static class AllocationInputs
{
    public static async Task<Fe.FunctionInputs> PrepareAsync(AllocationContext context, AllocationUploads uploads, CancellationToken cancellationToken)
    {
        // The request-error upload (a file create, or a round trip to S3) does not depend on the arguments: it runs
        // while they are presigned. Awaited either way, so a created upload is recorded and aborted at cleanup.
        var requestError = uploads.CreateRequestErrorBlobAsync(cancellationToken);
        var inputs = new Fe.FunctionInputs { FunctionCallMetadata = ByteString.CopyFrom(context.Spec.FunctionCallMetadata) };
        try
        {
            foreach (var arg in context.Spec.Args)
            {
                var (value, blob) = await context.Blobs.ReadablePayloadAsync(arg, cancellationToken);
                inputs.Args.Add(value);
                inputs.ArgBlobs.Add(blob);
            }
        }
        catch
        {
            try
            {
                await requestError;
            }
            catch (Exception)
            {
                // The argument failure is the one that explains the outcome.
            }

            throw;
        }

        inputs.RequestErrorBlob = await requestError;
        return inputs;
    }
}

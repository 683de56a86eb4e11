using Executor.BlobStore;
using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.Allocations;

/// <summary>
/// Answers the output BLOBs an FE asks for in its allocation state (values, request errors written elsewhere,
/// 0.1.3 function-call arguments): each id once, with a writable BLOB or an error that still echoes the id
/// (an FE matches replies by id; some lose a reply without one).
/// </summary>
public sealed class OutputBlobRequests(AllocationContext context, AllocationUploads uploads)
{
    public async Task AnswerAsync(IEnumerable<Fe.AllocationOutputBLOBRequest> requests)
    {
        foreach (var request in requests)
        {
            await AnswerAsync(request);
        }
    }

    private async Task AnswerAsync(Fe.AllocationOutputBLOBRequest request)
    {
        if (!request.HasId || !request.HasSize || request.Size > (ulong)BlobLayout.MaxOutputBlobSize)
        {
            AllocationLog.InvalidOutputBlobRequest(context.Logger, context.AllocationId, request.HasId ? request.Id : "(none)");
            return;
        }

        if (uploads.KnowsOutputBlob(request.Id))
        {
            return;
        }

        Fe.AllocationOutputBlob reply;
        try
        {
            reply = new Fe.AllocationOutputBlob
            {
                Status = new Google.Rpc.Status { Code = 0 },
                Blob = await uploads.CreateOutputBlobAsync(request.Id, (long)request.Size),
            };
        }
        catch (Exception ex) when (ex is BlobStoreException or IOException or InvalidOperationException)
        {
            AllocationLog.OutputBlobFailed(context.Logger, context.AllocationId, request.Id, ex.Message);
            reply = new Fe.AllocationOutputBlob
            {
                Status = new Google.Rpc.Status { Code = 13, Message = "Failed to create output BLOB." },
                Blob = new Fe.BLOB { Id = request.Id },
            };
        }

        await context.SendStateReplyAsync(new Fe.AllocationUpdate { AllocationId = context.AllocationId, OutputBlob = reply });
    }
}

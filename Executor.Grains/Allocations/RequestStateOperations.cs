using Executor.BlobStore;
using Fe = Executor.Protocol.FunctionExecutorV1;

namespace Executor.Allocations;

/// <summary>
/// Answers the request-state operations an FE asks for in its allocation state, each operation id once: reads
/// get a readable BLOB (or NOT_FOUND), writes a writable BLOB, commits complete the write. State lives under the
/// request's payload prefix, one path segment per key.
/// </summary>
public sealed class RequestStateOperations(AllocationContext context, AllocationUploads uploads)
{
    private readonly HashSet<string> _answered = new(StringComparer.Ordinal);

    /// <summary>Reads first, then writes and commits, as the FE may wait on a read before it writes.</summary>
    public async Task AnswerAsync(IReadOnlyCollection<Fe.AllocationRequestStateOperation> operations)
    {
        foreach (var operation in operations.Where(o => o.OperationCase == Fe.AllocationRequestStateOperation.OperationOneofCase.PrepareRead))
        {
            await AnswerAsync(operation);
        }

        foreach (var operation in operations.Where(o => o.OperationCase != Fe.AllocationRequestStateOperation.OperationOneofCase.PrepareRead))
        {
            await AnswerAsync(operation);
        }
    }

    private async Task AnswerAsync(Fe.AllocationRequestStateOperation operation)
    {
        if (!operation.HasOperationId || !_answered.Add(operation.OperationId))
        {
            return;
        }

        var uri = $"{context.Spec.RequestDataPayloadUriPrefix}/state/{RequestStateKey.Encode(operation.StateKey)}";
        var reply = new Fe.AllocationRequestStateOperationResult { OperationId = operation.OperationId, Status = new Google.Rpc.Status { Code = 0 } };
        try
        {
            switch (operation.OperationCase)
            {
                case Fe.AllocationRequestStateOperation.OperationOneofCase.PrepareRead:
                    reply.PrepareRead = new Fe.AllocationRequestStatePrepareReadOperationResult();
                    try
                    {
                        var size = await context.Blobs.Store.GetSizeAsync(uri, context.Stopping);
                        reply.PrepareRead.Blob = await context.Blobs.ReadableAsync(uri, size, context.Stopping);
                    }
                    catch (BlobNotFoundException)
                    {
                        reply.Status = new Google.Rpc.Status { Code = 5, Message = "State key not found." };
                    }

                    break;
                case Fe.AllocationRequestStateOperation.OperationOneofCase.PrepareWrite:
                    reply.PrepareWrite = new Fe.AllocationRequestStatePrepareWriteOperationResult();
                    reply.PrepareWrite.Blob = await uploads.CreateStateWriteAsync(operation.OperationId, uri, (long)operation.PrepareWrite.Size);
                    break;
                case Fe.AllocationRequestStateOperation.OperationOneofCase.CommitWrite:
                    reply.CommitWrite = new Fe.AllocationRequestStateCommitWriteOperationResult();
                    if (!await uploads.CompleteStateWriteAsync(operation.CommitWrite.Blob))
                    {
                        reply.Status = new Google.Rpc.Status { Code = 5, Message = "No pending write for this BLOB." };
                    }

                    break;
                default:
                    reply.Status = new Google.Rpc.Status { Code = 13, Message = "Unknown request state operation." };
                    break;
            }
        }
        catch (Exception ex) when (ex is BlobStoreException or IOException or InvalidOperationException)
        {
            AllocationLog.StateOperationFailed(context.Logger, context.AllocationId, operation.OperationId, ex.Message);
            reply.Status = new Google.Rpc.Status { Code = 13, Message = "Request state operation failed." };
        }

        await context.SendStateReplyAsync(new Fe.AllocationUpdate { AllocationId = context.AllocationId, RequestStateOperationResult = reply });
    }
}

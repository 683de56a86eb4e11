using System.Collections.Concurrent;
using Executor.Protocol.FunctionExecutorV1;
using Executor.Testing;
using Grpc.Core;

namespace TestFunctionExecutor.Tests.Infrastructure;

/// <summary>
/// Plays the executor's side of one allocation over raw gRPC: create_allocation, watch the
/// state stream, answer every new output BLOB request, function call, watcher and request-state
/// operation (deduplicated by id, as snapshots repeat pending items), until a result arrives.
/// </summary>
public sealed class ExecutorPeer(FunctionExecutor.FunctionExecutorClient client, TempDirectory dir)
{
    private readonly ConcurrentDictionary<string, string> _stateFiles = new(StringComparer.Ordinal);

    /// <summary>Chunk size of the writable BLOBs handed out (small values force multi-chunk uploads).</summary>
    public long OutputChunkSize { get; init; } = FileBlobs.DefaultChunkSize;

    /// <summary>Replaces the default file:// writable BLOBs, e.g. with http part URIs.</summary>
    public Func<string, long, BLOB>? OutputBlobFactory { get; init; }

    /// <summary>Status for each output BLOB request (default OK); on error only the BLOB id is sent back, as the executor does.</summary>
    public Func<AllocationOutputBLOBRequest, Google.Rpc.Status> OnOutputBlobRequest { get; init; } = _ => new Google.Rpc.Status { Code = 0 };

    /// <summary>Status for each function call creation (default OK).</summary>
    public Func<AllocationFunctionCall, Google.Rpc.Status> OnFunctionCall { get; init; } = _ => new Google.Rpc.Status { Code = 0 };

    /// <summary>Result for a new watcher; null = never answer.</summary>
    public Func<AllocationFunctionCallWatcher, AllocationFunctionCallResult?> OnWatcher { get; init; } = _ => null;

    /// <summary>Request-state values by key, as committed by the FE (file paths).</summary>
    public IReadOnlyDictionary<string, string> StateFiles => _stateFiles;

    public Task<AllocationRun> RunAsync(Allocation allocation) => RunAsync(allocation, TimeSpan.FromSeconds(60));

    public async Task<AllocationRun> RunAsync(Allocation allocation, TimeSpan timeout)
    {
        var run = new AllocationRun(allocation.AllocationId);
        using var cts = new CancellationTokenSource(timeout);
        await client.create_allocationAsync(new CreateAllocationRequest { Allocation = allocation }, cancellationToken: cts.Token);
        using var watch = client.watch_allocation_state(new WatchAllocationStateRequest { AllocationId = allocation.AllocationId }, cancellationToken: cts.Token);
        await foreach (var state in watch.ResponseStream.ReadAllAsync(cts.Token))
        {
            run.States.Add(state);
            await ReconcileAsync(run, state, cts.Token);
            if (state.Result is not null)
            {
                return run;
            }
        }

        throw new InvalidOperationException($"watch stream of {allocation.AllocationId} ended without a result");
    }

    /// <summary>
    /// 0.1.3: watches the state stream of a created allocation and answers what it asks for until the stream ends
    /// (the allocation is fully finished).
    /// </summary>
    public async Task AnswerStateAsync(AllocationRun run, CancellationToken cancellationToken)
    {
        using var watch = client.watch_allocation_state(new WatchAllocationStateRequest { AllocationId = run.AllocationId }, cancellationToken: cancellationToken);
        await foreach (var state in watch.ResponseStream.ReadAllAsync(cancellationToken))
        {
            run.States.Add(state);
            await ReconcileAsync(run, state, cancellationToken);
        }
    }

    /// <summary>Answers what is new in one snapshot.</summary>
    public async Task ReconcileAsync(AllocationRun run, AllocationState state, CancellationToken cancellationToken)
    {
        foreach (var request in state.OutputBlobRequests.Where(r => run.SeenIds.Add("blob:" + r.Id)))
        {
            var status = OnOutputBlobRequest(request);
            if (status.Code != 0)
            {
                await SendAsync(run, new AllocationUpdate { OutputBlob = new AllocationOutputBlob { Status = status, Blob = new BLOB { Id = request.Id } } }, cancellationToken);
                continue;
            }

            var blob = OutputBlobFactory?.Invoke(request.Id, (long)request.Size)
                ?? FileBlobs.Writable(request.Id, FileBlobs.Uri(dir.Combine($"out-{run.AllocationId}-{request.Id}.bin")), (long)request.Size, OutputChunkSize);
            run.OutputBlobs[request.Id] = blob;
            await SendAsync(run, new AllocationUpdate { OutputBlob = new AllocationOutputBlob { Status = status, Blob = blob } }, cancellationToken);
        }

        foreach (var call in state.FunctionCalls.Where(c => run.SeenIds.Add("call:" + c.Id)))
        {
            run.FunctionCalls.Add(call);
            await SendAsync(run, new AllocationUpdate
            {
                FunctionCallCreationResult = new AllocationFunctionCallCreationResult { FunctionCallId = call.Id, AllocationFunctionCallId = call.Id, Status = OnFunctionCall(call) },
            }, cancellationToken);
        }

        foreach (var watcher in state.FunctionCallWatchers.Where(w => run.SeenIds.Add("watcher:" + w.Id)))
        {
            run.Watchers.Add(watcher);
            var result = OnWatcher(watcher);
            if (result is not null)
            {
                result.WatcherId = watcher.Id;
                result.FunctionCallId = watcher.RootFunctionCallId;
                await SendAsync(run, new AllocationUpdate { FunctionCallResult = result }, cancellationToken);
            }
        }

        foreach (var operation in state.RequestStateOperations.Where(o => run.SeenIds.Add("op:" + o.OperationId)))
        {
            run.StateOperations.Add(operation);
            await SendAsync(run, new AllocationUpdate { RequestStateOperationResult = AnswerStateOperation(run, operation) }, cancellationToken);
        }
    }

    /// <summary>A readable file BLOB holding <paramref name="bytes"/>, for function call results the test makes up.</summary>
    public (SerializedObjectInsideBLOB Value, BLOB Blob) CreateValue(string name, byte[] bytes, SerializedObjectEncoding encoding)
    {
        var path = dir.Combine($"value-{name}.bin");
        File.WriteAllBytes(path, bytes);
        return (new SerializedObjectInsideBLOB { Manifest = FileBlobs.Manifest(bytes, encoding), Offset = 0 }, FileBlobs.Readable(FileBlobs.Uri(path), bytes.Length));
    }

    private AllocationRequestStateOperationResult AnswerStateOperation(AllocationRun run, AllocationRequestStateOperation operation)
    {
        var result = new AllocationRequestStateOperationResult { OperationId = operation.OperationId, Status = new Google.Rpc.Status { Code = 0 } };
        switch (operation.OperationCase)
        {
            case AllocationRequestStateOperation.OperationOneofCase.PrepareWrite:
                var path = dir.Combine($"state-{run.AllocationId}-{operation.OperationId}.bin");
                run.PendingStateWrites[operation.OperationId] = path;
                result.PrepareWrite = new AllocationRequestStatePrepareWriteOperationResult
                {
                    Blob = FileBlobs.Writable(operation.OperationId, FileBlobs.Uri(path), (long)operation.PrepareWrite.Size, OutputChunkSize),
                };
                break;
            case AllocationRequestStateOperation.OperationOneofCase.CommitWrite:
                result.CommitWrite = new AllocationRequestStateCommitWriteOperationResult();
                if (run.PendingStateWrites.TryRemove(operation.CommitWrite.Blob.Id, out var written))
                {
                    _stateFiles[operation.StateKey] = written;
                }
                else
                {
                    result.Status = new Google.Rpc.Status { Code = 5, Message = "unknown write" };
                }

                break;
            case AllocationRequestStateOperation.OperationOneofCase.PrepareRead:
                result.PrepareRead = new AllocationRequestStatePrepareReadOperationResult();
                if (_stateFiles.TryGetValue(operation.StateKey, out var stored))
                {
                    result.PrepareRead.Blob = FileBlobs.Readable(FileBlobs.Uri(stored), new FileInfo(stored).Length, OutputChunkSize);
                }
                else
                {
                    result.Status = new Google.Rpc.Status { Code = 5, Message = "key not found" };
                }

                break;
        }

        return result;
    }

    private async Task SendAsync(AllocationRun run, AllocationUpdate update, CancellationToken cancellationToken)
    {
        update.AllocationId = run.AllocationId;
        await client.send_allocation_updateAsync(update, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken);
    }
}

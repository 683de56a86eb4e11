using System.Security.Cryptography;
using System.Text;
using Executor.Protocol.FunctionExecutorV1;
using Google.Protobuf;
using Grpc.Core;
using TestFunctionExecutor.Tests.Infrastructure;

namespace TestFunctionExecutor.Tests;

public sealed class EchoFunctionExecutor() : InitializedFunctionExecutor(TestFunctions.Echo);

/// <summary>echo over file:// BLOBs, the state stream, allocation RPC errors and concurrency.</summary>
public sealed class EchoTests(EchoFunctionExecutor fixture) : IClassFixture<EchoFunctionExecutor>
{
    private static DateTime Deadline => FunctionExecutorProcess.Deadline;

    [Fact]
    public async Task Echo_reads_the_argument_at_its_offset_and_uploads_it_in_chunks()
    {
        const string json = """{"hello":"world","n":[1,2,3]}""";
        // Argument at offset 13 of its object, 5-byte readable chunks; 7-byte writable chunks.
        var allocation = AllocationInputs.Json(fixture.Directory, "echo-chunks", json, offset: 13, chunkSize: 5);
        var run = await fixture.Peer(outputChunkSize: 7).RunAsync(allocation);

        var expected = Encoding.UTF8.GetBytes(json);
        Assert.Equal(expected, run.ReadValue());

        var value = run.Result.Value;
        Assert.Equal(SerializedObjectEncoding.Utf8Json, value.Manifest.Encoding);
        Assert.Equal("application/json", value.Manifest.ContentType);
        Assert.Equal((ulong)expected.Length, value.Manifest.Size);
        Assert.Equal(0UL, value.Manifest.MetadataSize);
        Assert.Equal(FileBlobs.Sha256(expected), value.Manifest.Sha256Hash);
        Assert.True(value.HasOffset);
        Assert.Equal(0UL, value.Offset);

        // The uploaded BLOB lists the chunks used, with actual sizes and MD5 ETags of their bytes.
        var request = Assert.Single(run.OutputBlobs);
        var uploaded = run.Result.UploadedFunctionOutputsBlob;
        Assert.Equal(request.Key, uploaded.Id);
        Assert.Equal((expected.Length + 6) / 7, uploaded.Chunks.Count);
        for (var i = 0; i < uploaded.Chunks.Count; i++)
        {
            var bytes = expected.AsSpan(i * 7, Math.Min(7, expected.Length - (i * 7)));
            Assert.Equal((ulong)bytes.Length, uploaded.Chunks[i].Size);
            Assert.Equal(FileBlobs.Md5(bytes), uploaded.Chunks[i].Etag);
            Assert.Equal(request.Value.Chunks[i].Uri, uploaded.Chunks[i].Uri);
        }

        // Every snapshot is complete and carries the SHA-256 of its own content.
        Assert.Contains(run.States, s => s.OutputBlobRequests.Any(r => r.Id == request.Key && r.Size == (ulong)expected.Length));
        Assert.Empty(run.States[^1].OutputBlobRequests);
        foreach (var state in run.States)
        {
            var unhashed = state.Clone();
            unhashed.ClearSha256Hash();
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(unhashed.ToByteArray())), state.Sha256Hash);
        }

        await fixture.Client.delete_allocationAsync(new DeleteAllocationRequest { AllocationId = allocation.AllocationId }, deadline: Deadline);
        var listed = await fixture.Client.list_allocationsAsync(new ListAllocationsRequest(), deadline: Deadline);
        Assert.DoesNotContain(listed.Allocations, a => a.AllocationId == allocation.AllocationId);
    }

    [Fact]
    public async Task Allocation_rpcs_answer_the_real_FE_status_codes()
    {
        var client = fixture.Client;
        var allocation = AllocationInputs.Json(fixture.Directory, "echo-codes", "42");
        var run = await fixture.Peer().RunAsync(allocation);
        Assert.Equal("42", run.ReadValueText());

        var listed = await client.list_allocationsAsync(new ListAllocationsRequest(), deadline: Deadline);
        var described = Assert.Single(listed.Allocations, a => a.AllocationId == allocation.AllocationId);
        Assert.Equal(AllocationOutcomeCode.Success, described.Result.OutcomeCode);

        async Task<StatusCode> CodeOf(Func<Task> call) => (await Assert.ThrowsAsync<RpcException>(call)).StatusCode;

        Assert.Equal(StatusCode.AlreadyExists, await CodeOf(() => client.create_allocationAsync(new CreateAllocationRequest { Allocation = allocation }, deadline: Deadline).ResponseAsync));
        Assert.Equal(StatusCode.FailedPrecondition, await CodeOf(() => client.send_allocation_updateAsync(
            new AllocationUpdate { AllocationId = allocation.AllocationId, OutputBlob = new AllocationOutputBlob { Blob = new BLOB { Id = "x" } } }, deadline: Deadline).ResponseAsync));
        Assert.Equal(StatusCode.NotFound, await CodeOf(() => client.send_allocation_updateAsync(new AllocationUpdate { AllocationId = "nope" }, deadline: Deadline).ResponseAsync));
        Assert.Equal(StatusCode.NotFound, await CodeOf(() => client.delete_allocationAsync(new DeleteAllocationRequest { AllocationId = "nope" }, deadline: Deadline).ResponseAsync));
        Assert.Equal(StatusCode.NotFound, await CodeOf(async () =>
        {
            using var watch = client.watch_allocation_state(new WatchAllocationStateRequest { AllocationId = "nope" }, deadline: Deadline);
            await watch.ResponseStream.MoveNext(CancellationToken.None);
        }));

        var invalid = AllocationInputs.Json(fixture.Directory, "echo-invalid", "1");
        invalid.Inputs.RequestErrorBlob = null;
        Assert.Equal(StatusCode.Unknown, await CodeOf(() => client.create_allocationAsync(new CreateAllocationRequest { Allocation = invalid }, deadline: Deadline).ResponseAsync));

        // A finished allocation's stream replays its terminal state.
        using var replay = client.watch_allocation_state(new WatchAllocationStateRequest { AllocationId = allocation.AllocationId }, deadline: Deadline);
        Assert.True(await replay.ResponseStream.MoveNext(CancellationToken.None));
        Assert.NotNull(replay.ResponseStream.Current.Result);
        Assert.False(await replay.ResponseStream.MoveNext(CancellationToken.None));

        await client.delete_allocationAsync(new DeleteAllocationRequest { AllocationId = allocation.AllocationId }, deadline: Deadline);
    }

    [Fact]
    public async Task Runs_a_hundred_allocations_concurrently()
    {
        var peer = fixture.Peer();
        var runs = await Task.WhenAll(Enumerable.Range(0, 100).Select(i =>
            peer.RunAsync(AllocationInputs.Json(fixture.Directory, $"echo-many-{i}", $"{{\"i\":{i}}}"), TimeSpan.FromSeconds(120))));

        for (var i = 0; i < runs.Length; i++)
        {
            Assert.Equal($"{{\"i\":{i}}}", runs[i].ReadValueText());
        }
    }

    [Fact]
    public async Task A_corrupt_argument_is_an_internal_error()
    {
        var bytes = Encoding.UTF8.GetBytes("\"payload\"");
        var manifest = FileBlobs.Manifest(bytes, SerializedObjectEncoding.Utf8Json);
        manifest.Sha256Hash = new string('0', 64);
        var run = await fixture.Peer().RunAsync(AllocationInputs.Create(fixture.Directory, "echo-corrupt", bytes, manifestOverride: manifest));

        Assert.Equal(AllocationOutcomeCode.Failure, run.Result.OutcomeCode);
        Assert.Equal(AllocationFailureReason.InternalError, run.Result.FailureReason);
    }

    [Fact]
    public async Task A_failed_output_blob_request_is_an_internal_error()
    {
        var peer = new ExecutorPeer(fixture.Client, fixture.Directory)
        {
            OnOutputBlobRequest = _ => new Google.Rpc.Status { Code = 13, Message = "Failed to create output BLOB." },
        };
        var run = await peer.RunAsync(AllocationInputs.Json(fixture.Directory, "echo-no-blob", "{}"));

        Assert.Equal(AllocationOutcomeCode.Failure, run.Result.OutcomeCode);
        Assert.Equal(AllocationFailureReason.InternalError, run.Result.FailureReason);
        Assert.Empty(run.OutputBlobs);
    }

    [Fact]
    public async Task Echo_of_binary_raw_keeps_encoding_and_has_no_content_type()
    {
        var bytes = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
        var run = await fixture.Peer().RunAsync(AllocationInputs.Create(fixture.Directory, "echo-raw", bytes, SerializedObjectEncoding.Raw, contentType: null));

        Assert.Equal(bytes, run.ReadValue());
        Assert.Equal(SerializedObjectEncoding.Raw, run.Result.Value.Manifest.Encoding);
        Assert.False(run.Result.Value.Manifest.HasContentType);
        Assert.Equal(ByteString.CopyFrom(bytes), ByteString.CopyFrom(run.ReadValue()));
    }
}

using System.Text;
using Executor.Protocol.FunctionExecutorV1;
using TestFunctionExecutor.Tests.Infrastructure;

namespace TestFunctionExecutor.Tests;

public sealed class HttpEchoFunctionExecutor() : InitializedFunctionExecutor(TestFunctions.Echo);

/// <summary>Presigned-like http:// BLOBs: ranged GETs of one object URI, one PUT per writable part.</summary>
public sealed class HttpBlobTests(HttpEchoFunctionExecutor fixture) : IClassFixture<HttpEchoFunctionExecutor>, IAsyncLifetime
{
    private readonly PresignedHttpServer _server = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Echo_reads_with_range_requests_and_puts_each_part()
    {
        var argument = Encoding.UTF8.GetBytes("""{"via":"http","text":"ranged reads and part uploads"}""");
        const int offset = 10;
        _server.Objects["input"] = [.. Enumerable.Repeat((byte)'#', offset), .. argument];

        // Readable BLOB: every 16-byte chunk has the same object URI; the arg starts at offset 10.
        var inputs = new FunctionInputs
        {
            RequestErrorBlob = FileBlobs.Writable("request_error_blob", _server.PartUri("req-error"), 1024),
            FunctionCallMetadata = Google.Protobuf.ByteString.Empty,
        };
        inputs.Args.Add(new SerializedObjectInsideBLOB { Manifest = FileBlobs.Manifest(argument, SerializedObjectEncoding.Utf8Json, "application/json"), Offset = offset });
        inputs.ArgBlobs.Add(FileBlobs.Readable(_server.ObjectUri("input"), offset + argument.Length, chunkSize: 16));

        const int partSize = 20;
        var peer = new ExecutorPeer(fixture.Client, fixture.Directory)
        {
            OutputBlobFactory = (id, size) =>
            {
                var blob = new BLOB { Id = id };
                for (var part = 0; part * partSize < size; part++)
                {
                    blob.Chunks.Add(new BLOBChunk { Uri = _server.PartUri($"{id}-{part + 1}"), Size = (ulong)Math.Min(partSize, size - (part * partSize)) });
                }

                return blob;
            },
        };

        var run = await peer.RunAsync(AllocationInputs.WithInputs("http-echo", inputs));

        Assert.Equal(AllocationOutcomeCode.Success, run.Result.OutcomeCode);
        var uploaded = run.Result.UploadedFunctionOutputsBlob;
        Assert.Equal((argument.Length + partSize - 1) / partSize, uploaded.Chunks.Count);
        var reassembled = new List<byte>();
        for (var i = 0; i < uploaded.Chunks.Count; i++)
        {
            var part = _server.Parts[$"{uploaded.Id}-{i + 1}"];
            Assert.Equal(PresignedHttpServer.ETagOf(part), uploaded.Chunks[i].Etag);
            Assert.Equal((ulong)part.Length, uploaded.Chunks[i].Size);
            reassembled.AddRange(part);
        }

        Assert.Equal(argument, reassembled.ToArray());
        Assert.Equal(FileBlobs.Sha256(argument), run.Result.Value.Manifest.Sha256Hash);

        // Reads are ranged at absolute offsets of the object, split at chunk boundaries.
        var ranges = _server.RangeRequests.ToArray();
        Assert.All(ranges, r => Assert.StartsWith("bytes=", r, StringComparison.Ordinal));
        Assert.Contains("bytes=10-15", ranges);
        Assert.Contains($"bytes=48-{offset + argument.Length - 1}", ranges);
    }
}

using System.Text;
using Executor.Protocol.FunctionExecutorV1;
using Executor.Testing;

namespace TestFunctionExecutor.Tests.Infrastructure;

/// <summary>Writes an allocation's argument to a file (optionally after filler, at an offset) and builds the Allocation.</summary>
public static class AllocationInputs
{
    public static Allocation Json(TempDirectory dir, string allocationId, string json, long offset = 0, long chunkSize = FileBlobs.DefaultChunkSize)
        => Create(dir, allocationId, Encoding.UTF8.GetBytes(json), SerializedObjectEncoding.Utf8Json, "application/json", offset, chunkSize);

    public static Allocation Create(
        TempDirectory dir,
        string allocationId,
        byte[] argument,
        SerializedObjectEncoding encoding = SerializedObjectEncoding.Utf8Json,
        string? contentType = "application/json",
        long offset = 0,
        long chunkSize = FileBlobs.DefaultChunkSize,
        SerializedObjectManifest? manifestOverride = null)
    {
        // Like the executor: the argument lives at `offset` inside its object; the readable BLOB covers offset + size.
        var path = dir.Combine($"arg-{allocationId}.bin");
        var content = new byte[offset + argument.Length];
        for (var i = 0; i < offset; i++)
        {
            content[i] = (byte)'#';
        }

        argument.CopyTo(content, offset);
        File.WriteAllBytes(path, content);

        var inputs = new FunctionInputs
        {
            RequestErrorBlob = FileBlobs.Writable("request_error_blob", FileBlobs.Uri(dir.Combine($"req-error-{allocationId}.bin")), 10 * 1024 * 1024),
            FunctionCallMetadata = Google.Protobuf.ByteString.Empty,
        };
        inputs.Args.Add(new SerializedObjectInsideBLOB
        {
            Manifest = manifestOverride ?? FileBlobs.Manifest(argument, encoding, contentType),
            Offset = (ulong)offset,
        });
        inputs.ArgBlobs.Add(FileBlobs.Readable(FileBlobs.Uri(path), content.Length, chunkSize));

        return WithInputs(allocationId, inputs);
    }

    public static Allocation WithInputs(string allocationId, FunctionInputs inputs) => new()
    {
        RequestId = "request-" + allocationId,
        FunctionCallId = "call-" + allocationId,
        AllocationId = allocationId,
        Inputs = inputs,
    };
}

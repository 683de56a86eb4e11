using Executor.Protocol.FunctionExecutorV1;

namespace TestFunctionExecutor;

/// <summary>Builders for the AllocationResult shapes the real FE produces.</summary>
internal static class Results
{
    public static AllocationResult Value(SerializedObjectInsideBLOB value, BLOB uploadedOutputs) => new()
    {
        OutcomeCode = AllocationOutcomeCode.Success,
        Value = value,
        UploadedFunctionOutputsBlob = uploadedOutputs,
    };

    public static AllocationResult Updates(ExecutionPlanUpdates updates, BLOB? uploadedOutputs)
    {
        var result = new AllocationResult { OutcomeCode = AllocationOutcomeCode.Success, Updates = updates };
        if (uploadedOutputs is not null)
        {
            result.UploadedFunctionOutputsBlob = uploadedOutputs;
        }

        return result;
    }

    public static AllocationResult Failure(AllocationFailureReason reason) => new()
    {
        OutcomeCode = AllocationOutcomeCode.Failure,
        FailureReason = reason,
    };

    public static AllocationResult RequestError(SerializedObjectInsideBLOB requestErrorOutput, BLOB uploadedRequestErrorBlob) => new()
    {
        OutcomeCode = AllocationOutcomeCode.Failure,
        FailureReason = AllocationFailureReason.RequestError,
        RequestErrorOutput = requestErrorOutput,
        UploadedRequestErrorBlob = uploadedRequestErrorBlob,
    };

    /// <summary>A serialized object at offset 0 of its BLOB; metadata_size 0 since test values carry no SDK metadata.</summary>
    public static SerializedObjectInsideBLOB InsideBlob(SerializedObjectEncoding encoding, ulong encodingVersion, long size, string sha256Hex, string? contentType)
    {
        var manifest = new SerializedObjectManifest
        {
            Encoding = encoding,
            EncodingVersion = encodingVersion,
            Size = (ulong)size,
            MetadataSize = 0,
            Sha256Hash = sha256Hex,
        };
        if (contentType is not null)
        {
            manifest.ContentType = contentType;
        }

        return new SerializedObjectInsideBLOB { Manifest = manifest, Offset = 0 };
    }
}

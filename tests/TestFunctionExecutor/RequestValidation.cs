using Executor.Protocol.FunctionExecutorV1;

namespace TestFunctionExecutor;

/// <summary>
/// The real FE's checks of initialize and create_allocation requests; each returns the problem or
/// null. 0.1.2 (FE 0.3.9): the short checks below, answered UNKNOWN by the service. 0.1.3 (G2's
/// MessageValidator): every required field present and non-empty, serialized-object manifests
/// complete, BLOB chunks with uri and size, integers within 2^53 - 1.
/// </summary>
internal static class RequestValidation
{
    private const ulong MaxSafeInteger = (1UL << 53) - 1;

    /// <summary>0.1.2: complete FunctionRef, BINARY_ZIP application code.</summary>
    public static string? Initialize012(InitializeRequest request)
    {
        if (request.Function is not { } f)
        {
            return "Field 'function' is required";
        }

        if (!f.HasNamespace || !f.HasApplicationName || !f.HasFunctionName || !f.HasApplicationVersion)
        {
            return "FunctionRef requires namespace, application_name, function_name and application_version";
        }

        if (request.ApplicationCode is not { Manifest: { } manifest })
        {
            return "Field 'application_code' with a manifest is required";
        }

        return manifest.Encoding == SerializedObjectEncoding.BinaryZip
            ? null
            : $"Invalid application code encoding: {manifest.Encoding}. Expected: BINARY_ZIP";
    }

    /// <summary>0.1.2: validate_new_allocation of FE 0.3.9.</summary>
    public static string? Allocation012(Allocation? allocation)
    {
        if (allocation is null)
        {
            return "Field 'allocation' is required";
        }

        if (!allocation.HasRequestId || !allocation.HasFunctionCallId || !allocation.HasAllocationId || allocation.Inputs is null)
        {
            return "Allocation requires request_id, function_call_id, allocation_id and inputs";
        }

        if (allocation.Result is not null)
        {
            return "Field 'result' must not be set";
        }

        if (allocation.Inputs.RequestErrorBlob is null)
        {
            return "Field 'request_error_blob' is required";
        }

        return allocation.Inputs.Args.Count == allocation.Inputs.ArgBlobs.Count
            ? null
            : $"Mismatched function arguments and functions argument blobs lengths, {allocation.Inputs.Args.Count} != {allocation.Inputs.ArgBlobs.Count}";
    }

    /// <summary>0.1.3: InitializeRequestValidator of G2.</summary>
    public static string? Initialize013(InitializeRequest request)
    {
        if (request.Function is not { } f)
        {
            return Required("function", nameof(InitializeRequest));
        }

        if (request.ApplicationCode is not { } code)
        {
            return Required("application_code", nameof(InitializeRequest));
        }

        if (code.Manifest is not { } manifest)
        {
            return Required("manifest", nameof(SerializedObject));
        }

        if (!code.HasData)
        {
            return Required("data", nameof(SerializedObject));
        }

        var problem = Manifest(manifest, requireMetadataSize: false)
            ?? Text(f.HasNamespace, f.Namespace, "namespace", nameof(FunctionRef))
            ?? Text(f.HasApplicationName, f.ApplicationName, "application_name", nameof(FunctionRef))
            ?? Text(f.HasFunctionName, f.FunctionName, "function_name", nameof(FunctionRef))
            ?? Text(f.HasApplicationVersion, f.ApplicationVersion, "application_version", nameof(FunctionRef));
        if (problem is not null)
        {
            return problem;
        }

        return manifest.Encoding == SerializedObjectEncoding.BinaryZip
            ? null
            : $"Invalid application code encoding: {manifest.Encoding}. Expected: BINARY_ZIP";
    }

    /// <summary>0.1.3: validate_new_allocation of G2 (a set result is not checked there).</summary>
    public static string? Allocation013(Allocation? allocation)
    {
        if (allocation is null)
        {
            return Required("allocation", nameof(CreateAllocationRequest));
        }

        var problem = Text(allocation.HasRequestId, allocation.RequestId, "request_id", nameof(Allocation))
            ?? Text(allocation.HasFunctionCallId, allocation.FunctionCallId, "function_call_id", nameof(Allocation))
            ?? Text(allocation.HasAllocationId, allocation.AllocationId, "allocation_id", nameof(Allocation))
            ?? (allocation.Inputs is null ? Required("inputs", nameof(Allocation)) : null);
        if (problem is not null)
        {
            return problem;
        }

        var inputs = allocation.Inputs!;
        foreach (var arg in inputs.Args)
        {
            problem = InsideBlob(arg);
            if (problem is not null)
            {
                return problem;
            }
        }

        foreach (var blob in inputs.ArgBlobs)
        {
            problem = Blob(blob);
            if (problem is not null)
            {
                return problem;
            }
        }

        problem = inputs.RequestErrorBlob is null ? Required("request_error_blob", nameof(FunctionInputs)) : Blob(inputs.RequestErrorBlob);
        if (problem is not null)
        {
            return problem;
        }

        return inputs.Args.Count == inputs.ArgBlobs.Count
            ? null
            : $"Mismatched function arguments and functions argument blobs lengths, {inputs.Args.Count} != {inputs.ArgBlobs.Count}";
    }

    private static string? InsideBlob(SerializedObjectInsideBLOB value)
    {
        if (value.Manifest is not { } manifest)
        {
            return Required("manifest", nameof(SerializedObjectInsideBLOB));
        }

        if (!value.HasOffset)
        {
            return Required("offset", nameof(SerializedObjectInsideBLOB));
        }

        return SafeInteger(value.Offset, "offset", nameof(SerializedObjectInsideBLOB)) ?? Manifest(manifest, requireMetadataSize: true);
    }

    private static string? Manifest(SerializedObjectManifest manifest, bool requireMetadataSize)
    {
        const string Message = nameof(SerializedObjectManifest);
        if (!manifest.HasEncoding)
        {
            return Required("encoding", Message);
        }

        if (!manifest.HasEncodingVersion)
        {
            return Required("encoding_version", Message);
        }

        if (!manifest.HasSize)
        {
            return Required("size", Message);
        }

        var problem = Text(manifest.HasSha256Hash, manifest.Sha256Hash, "sha256_hash", Message);
        if (problem is not null)
        {
            return problem;
        }

        if (requireMetadataSize && !manifest.HasMetadataSize)
        {
            return Required("metadata_size", Message);
        }

        problem = SafeInteger(manifest.EncodingVersion, "encoding_version", Message)
            ?? SafeInteger(manifest.Size, "size", Message)
            ?? (manifest.HasMetadataSize ? SafeInteger(manifest.MetadataSize, "metadata_size", Message) : null);
        if (problem is not null)
        {
            return problem;
        }

        return manifest.HasMetadataSize && manifest.MetadataSize > manifest.Size
            ? "Field 'metadata_size' cannot exceed 'size' in SerializedObjectManifest"
            : null;
    }

    private static string? Blob(BLOB blob)
    {
        foreach (var chunk in blob.Chunks)
        {
            var problem = Text(chunk.HasUri, chunk.Uri, "uri", nameof(BLOBChunk))
                ?? (chunk.HasSize ? SafeInteger(chunk.Size, "size", nameof(BLOBChunk)) : Required("size", nameof(BLOBChunk)));
            if (problem is not null)
            {
                return problem;
            }
        }

        return null;
    }

    private static string? Text(bool present, string value, string field, string message)
        => !present ? Required(field, message) : value.Length == 0 ? $"Field '{field}' must not be empty in {message}" : null;

    private static string Required(string field, string message) => $"Field '{field}' is required in {message}";

    private static string? SafeInteger(ulong value, string field, string message)
        => value > MaxSafeInteger ? $"Field '{field}' in {message} exceeds the shared safe integer maximum {MaxSafeInteger}" : null;
}

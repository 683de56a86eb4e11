using Executor.Protocol.ServerV1;
using Google.Protobuf;

namespace FakeIndexifyServer;

/// <summary>Builders for messages shaped like the real server's (complete FE descriptions, realistic allocations).</summary>
public sealed partial class FakeServer
{
    private const ulong BytesPerMebibyte = 1024 * 1024;

    /// <summary>
    /// A complete FE description as the server sends it: function with version, timeouts, a BINARY_ZIP code payload
    /// with content_type "application/zip", resources in whole MiB, max_concurrency, container_type FUNCTION, pool_id.
    /// Without <paramref name="codePayload"/> the code payload only describes an empty file (nothing is written).
    /// </summary>
    public FunctionExecutorDescription NewFunctionExecutor(
        string @namespace,
        string application,
        string function,
        string applicationVersion = "1",
        string? id = null,
        uint maxConcurrency = 1,
        uint cpuMsPerSec = 1000,
        ulong memoryMib = 1024,
        ulong diskMib = 1024,
        uint initializationTimeoutMs = 300_000,
        uint allocationTimeoutMs = 300_000,
        IEnumerable<string>? secretNames = null,
        DataPayload? codePayload = null,
        GPUResources? gpu = null)
    {
        var description = new FunctionExecutorDescription
        {
            Id = id ?? Ids.New("fe"),
            Function = new FunctionRef
            {
                Namespace = @namespace,
                ApplicationName = application,
                FunctionName = function,
                ApplicationVersion = applicationVersion,
            },
            InitializationTimeoutMs = initializationTimeoutMs,
            AllocationTimeoutMs = allocationTimeoutMs,
            Application = codePayload?.Clone() ?? Blobs.Describe($"{@namespace}/{application}/code/{applicationVersion}.zip", [], PayloadEncodings.Zip),
            Resources = new FunctionExecutorResources
            {
                CpuMsPerSec = cpuMsPerSec,
                MemoryBytes = memoryMib * BytesPerMebibyte,
                DiskBytes = diskMib * BytesPerMebibyte,
            },
            MaxConcurrency = maxConcurrency,
            ContainerType = FunctionExecutorType.Function,
            PoolId = $"fn:{@namespace}:{application}:{function}:{applicationVersion}",
        };
        if (secretNames is not null)
        {
            description.SecretNames.AddRange(secretNames);
        }

        if (gpu is not null)
        {
            description.Resources.Gpu = gpu.Clone();
        }

        // The server always sends the code bundle as a zip.
        description.Application.Encoding = DataPayloadEncoding.BinaryZip;
        description.Application.EncodingVersion = 0;
        description.Application.ContentType = PayloadEncodings.Zip;
        return description;
    }

    /// <summary>
    /// An allocation for <paramref name="functionExecutor"/> as the server builds it: function without
    /// application_version, both URI prefixes equal to &lt;blob root&gt;/&lt;ns&gt;/&lt;app&gt;/&lt;request_id&gt;,
    /// and function_call_metadata always set. Not added until passed to <see cref="AddAllocation"/>.
    /// </summary>
    public Allocation NewAllocation(
        FunctionExecutorDescription functionExecutor,
        IEnumerable<DataPayload>? args = null,
        string? requestId = null,
        string? functionCallId = null,
        string? allocationId = null,
        ByteString? functionCallMetadata = null)
    {
        ArgumentNullException.ThrowIfNull(functionExecutor);
        var function = functionExecutor.Function;
        var request = requestId ?? Ids.New("req");
        var prefix = Blobs.RequestUriPrefix(function.Namespace, function.ApplicationName, request);
        var allocation = new Allocation
        {
            Function = new FunctionRef
            {
                Namespace = function.Namespace,
                ApplicationName = function.ApplicationName,
                FunctionName = function.FunctionName,
            },
            AllocationId = allocationId ?? Ids.New("alloc"),
            FunctionCallId = functionCallId ?? Ids.New("call"),
            RequestId = request,
            RequestDataPayloadUriPrefix = prefix,
            RequestErrorPayloadUriPrefix = prefix,
            FunctionExecutorId = functionExecutor.Id,
            FunctionCallMetadata = functionCallMetadata ?? ByteString.Empty,
        };
        if (args is not null)
        {
            allocation.Args.AddRange(args.Select(arg => arg.Clone()));
        }

        return allocation;
    }
}

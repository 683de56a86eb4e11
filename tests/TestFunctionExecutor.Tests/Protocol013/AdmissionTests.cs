using Executor.Protocol.FunctionExecutorV1;
using Executor.Testing;
using Grpc.Core;
using TestFunctionExecutor.Tests.Infrastructure;

namespace TestFunctionExecutor.Tests.Protocol013;

/// <summary>The 0.1.3 (G2) admission status matrix and initialize's error_message.</summary>
public sealed class AdmissionTests
{
    private static DateTime Deadline => FunctionExecutorProcess.Deadline;

    [Fact]
    public async Task Initialize_failures_are_responses_and_allocations_are_admitted_only_when_valid_and_new()
    {
        await using var fe = await FunctionExecutorProcess.StartAsync(TestFunctions.ProtocolEnvironment(TestFunctions.Protocol013));
        using var dir = new TempDirectory("test-fe");
        var client = fe.Client;

        async Task<RpcException> Refused(Allocation allocation)
            => await Assert.ThrowsAsync<RpcException>(() => client.create_allocationAsync(new CreateAllocationRequest { Allocation = allocation }, deadline: Deadline).ResponseAsync);

        var early = await Refused(AllocationInputs.Json(dir, "too-early", "{}"));
        Assert.Equal((StatusCode.FailedPrecondition, "Function Executor is not initialized"), (early.StatusCode, early.Status.Detail));

        // An invalid initialize is a FUNCTION_ERROR response with "<Type>: <message>", not an RPC error; it may be retried.
        var noVersion = FunctionExecutorProcess.InitializeRequest(TestFunctions.Echo);
        noVersion.Function.ClearApplicationVersion();
        var invalid = await client.initializeAsync(noVersion, deadline: Deadline);
        Assert.Equal((InitializationOutcomeCode.Failure, InitializationFailureReason.FunctionError), (invalid.OutcomeCode, invalid.FailureReason));
        Assert.Equal("ValueError: Field 'application_version' is required in FunctionRef", invalid.ErrorMessage);

        Assert.Equal(InitializationOutcomeCode.Success, (await fe.InitializeAsync(TestFunctions.Echo)).OutcomeCode);
        var again = await fe.InitializeAsync(TestFunctions.Echo);
        Assert.Equal((InitializationOutcomeCode.Failure, "Function Executor is already initialized"), (again.OutcomeCode, again.ErrorMessage));

        foreach (var (name, allocation) in InvalidAllocations(dir))
        {
            var error = await Refused(allocation);
            Assert.True(error.StatusCode == StatusCode.InvalidArgument, $"{name}: {error.Status}");
        }

        var valid = AllocationInputs.Json(dir, "admitted", "1");
        var run = await new ExecutorPeer013(client, dir).RunAsync(valid);
        Assert.Equal("1", run.ReadValueText());
        await client.create_allocationAsync(new CreateAllocationRequest { Allocation = AllocationInputs.Json(dir, "twice", "2") }, deadline: Deadline);
        Assert.Equal(StatusCode.AlreadyExists, (await Refused(AllocationInputs.Json(dir, "twice", "2"))).StatusCode);
    }

    [Fact]
    public async Task After_a_failed_initialize_allocations_are_refused_with_failed_precondition()
    {
        await using var fe = await FunctionExecutorProcess.StartAsync(TestFunctions.ProtocolEnvironment(TestFunctions.Protocol013));
        using var dir = new TempDirectory("test-fe");

        var response = await fe.InitializeAsync(TestFunctions.InitError);

        Assert.Equal((InitializationOutcomeCode.Failure, InitializationFailureReason.FunctionError, TestFunctions.InitErrorMessage), (response.OutcomeCode, response.FailureReason, response.ErrorMessage));
        var error = await Assert.ThrowsAsync<RpcException>(() => fe.Client.create_allocationAsync(new CreateAllocationRequest { Allocation = AllocationInputs.Json(dir, "after-failure", "{}") }, deadline: Deadline).ResponseAsync);
        Assert.Equal((StatusCode.FailedPrecondition, "Function Executor initialization failed"), (error.StatusCode, error.Status.Detail));
    }

    [Fact]
    public async Task Create_allocation_waits_for_an_initialize_in_progress()
    {
        await using var fe = await FunctionExecutorProcess.StartAsync(TestFunctions.ProtocolEnvironment(TestFunctions.Protocol013));
        using var dir = new TempDirectory("test-fe");
        var initialize = fe.InitializeAsync(TestFunctions.Combine(TestFunctions.InitSlow(1000), TestFunctions.Echo));
        await fe.WaitForOutputAsync("initializing test-ns/");

        var run = await new ExecutorPeer013(fe.Client, dir).RunAsync(AllocationInputs.Json(dir, "waited", "\"w\""));

        Assert.Equal(InitializationOutcomeCode.Success, (await initialize).OutcomeCode);
        Assert.Equal("\"w\"", run.ReadValueText());
        await fe.WaitForOutputAsync("allocation waited finished");
        var output = fe.Output;
        Assert.True(output.IndexOf(": initialized", StringComparison.Ordinal) < output.IndexOf("allocation waited started", StringComparison.Ordinal), output);
    }

    [Fact]
    public async Task Create_allocation_gives_up_with_deadline_exceeded_while_initialize_hangs()
    {
        await using var fe = await FunctionExecutorProcess.StartAsync(TestFunctions.ProtocolEnvironment(TestFunctions.Protocol013));
        using var dir = new TempDirectory("test-fe");
        _ = fe.InitializeAsync(TestFunctions.InitHang, DateTime.UtcNow.AddMinutes(5));
        await fe.WaitForOutputAsync("initialize hanging as scripted");

        var error = await Assert.ThrowsAsync<RpcException>(() => fe.Client.create_allocationAsync(
            new CreateAllocationRequest { Allocation = AllocationInputs.Json(dir, "never", "{}") }, deadline: DateTime.UtcNow.AddSeconds(1)).ResponseAsync);

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    private static IEnumerable<(string Name, Allocation Allocation)> InvalidAllocations(TempDirectory dir)
    {
        Allocation Valid(string id) => AllocationInputs.Json(dir, id, "{}");

        var noErrorBlob = Valid("no-error-blob");
        noErrorBlob.Inputs.RequestErrorBlob = null;
        yield return ("no request_error_blob", noErrorBlob);

        var emptyId = Valid("empty-id");
        emptyId.AllocationId = string.Empty;
        yield return ("empty allocation_id", emptyId);

        var noRequestId = Valid("no-request-id");
        noRequestId.ClearRequestId();
        yield return ("no request_id", noRequestId);

        var noMetadataSize = Valid("no-metadata-size");
        noMetadataSize.Inputs.Args[0].Manifest.ClearMetadataSize();
        yield return ("argument without metadata_size", noMetadataSize);

        var noOffset = Valid("no-offset");
        noOffset.Inputs.Args[0].ClearOffset();
        yield return ("argument without offset", noOffset);

        var noUri = Valid("no-uri");
        noUri.Inputs.ArgBlobs[0].Chunks[0].ClearUri();
        yield return ("chunk without uri", noUri);

        var unsafeSize = Valid("unsafe-size");
        unsafeSize.Inputs.ArgBlobs[0].Chunks[0].Size = 1UL << 53;
        yield return ("chunk size beyond 2^53-1", unsafeSize);

        var mismatched = Valid("mismatched");
        mismatched.Inputs.ArgBlobs.Add(mismatched.Inputs.ArgBlobs[0].Clone());
        yield return ("more arg_blobs than args", mismatched);
    }
}

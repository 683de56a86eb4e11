using System.Security.Cryptography;
using System.Text;
using Executor.Protocol.ServerV1;
using Executor.TestHost;
using TestFunctionExecutor;
using Xunit;

namespace Executor.Tests.EndToEnd;

/// <summary>
/// Desired state in, results out: real executor process, real test FE processes, real files. One executor per
/// protocol combination, shared by the tests (each uses its own applications and requests).
/// </summary>
public abstract class AllocationRoundTripTests<TProtocols>(AllocationRoundTripTests<TProtocols>.Fixture fixture) : IClassFixture<AllocationRoundTripTests<TProtocols>.Fixture>
    where TProtocols : IProtocols
{
    [Fact]
    public async Task EchoAllocationsAreReportedOnceWithTheBytesTheFunctionProduced()
    {
        var scenario = fixture.Scenario;
        var fe = scenario.AddFunctionExecutor(TestFunctions.Echo, maxConcurrency: 3);
        var allocations = Enumerable.Range(0, 8).Select(i => scenario.AddAllocation(fe, $"{{\"n\":{i}}}")).ToList();

        foreach (var allocation in allocations)
        {
            var result = await scenario.Server.WaitForResultAsync(allocation.AllocationId, TimeSpan.FromSeconds(60));
            Assert.Equal(AllocationOutcomeCode.Success, result.OutcomeCode);
            Assert.False(result.HasFailureReason);
            Assert.Equal(allocation.FunctionCallId, result.FunctionCallId);
            Assert.Equal(allocation.RequestId, result.RequestId);
            scenario.AssertResultFunctionAsUpstream(result);
            Assert.True(result.HasExecutionDurationMs);

            var expected = scenario.Server.Blobs.Read(allocation.Args[0]);
            Assert.StartsWith($"{allocation.RequestDataPayloadUriPrefix}.{allocation.AllocationId}.", result.Value.Uri, StringComparison.Ordinal);
            Assert.EndsWith(".output", result.Value.Uri, StringComparison.Ordinal);
            Assert.Equal((ulong)expected.Length, result.Value.Size);
            Assert.Equal(DataPayloadEncoding.Utf8Json, result.Value.Encoding);
            var produced = scenario.Server.Blobs.Read(result.Value);
            Assert.Equal(expected, produced);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(produced)), result.Value.Sha256Hash);
        }

        foreach (var allocation in allocations)
        {
            var stats = scenario.Server.GetReportStats(allocation.AllocationId);
            Assert.True(stats.Accepted);
            Assert.Equal(1, stats.TimesReported);
            Assert.Equal(0, stats.DuplicateCount);
        }
    }

    [Fact]
    public async Task FunctionErrorAndRequestErrorAreReportedWithUpstreamReasons()
    {
        var scenario = fixture.Scenario;
        var failing = scenario.AddFunctionExecutor(TestFunctions.FailFunction, application: "failing");
        var requestError = scenario.AddFunctionExecutor(TestFunctions.FailRequest, application: "request-error");
        var internalError = scenario.AddFunctionExecutor(TestFunctions.FailInternal, application: "internal");
        var a1 = scenario.AddAllocation(failing);
        var a2 = scenario.AddAllocation(requestError, "{\"message\":\"bad request\"}");
        var a3 = scenario.AddAllocation(internalError);

        var r1 = await scenario.Server.WaitForResultAsync(a1.AllocationId, TimeSpan.FromSeconds(60));
        Assert.Equal(AllocationOutcomeCode.Failure, r1.OutcomeCode);
        Assert.Equal(AllocationFailureReason.FunctionError, r1.FailureReason);

        var r2 = await scenario.Server.WaitForResultAsync(a2.AllocationId, TimeSpan.FromSeconds(60));
        Assert.Equal(AllocationFailureReason.RequestError, r2.FailureReason);
        Assert.NotNull(r2.RequestError);
        Assert.Equal($"{a2.RequestErrorPayloadUriPrefix}.{a2.AllocationId}.req_error", r2.RequestError.Uri);
        Assert.Equal("bad request", Encoding.UTF8.GetString(scenario.Server.Blobs.Read(r2.RequestError)));

        // FE-side INTERNAL_ERROR is reported as FUNCTION_ERROR (user code must not claim executor errors).
        var r3 = await scenario.Server.WaitForResultAsync(a3.AllocationId, TimeSpan.FromSeconds(60));
        Assert.Equal(AllocationFailureReason.FunctionError, r3.FailureReason);
    }

    /// <summary>The executor and fake Server of one combination.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        private ExecutorScenario? _scenario;

        public ExecutorScenario Scenario => _scenario ?? throw new InvalidOperationException("the scenario is not started");

        public async Task InitializeAsync() => _scenario = await ExecutorScenario.StartAsync(protocols: TProtocols.Combination);

        public async Task DisposeAsync()
        {
            if (_scenario is not null)
            {
                await _scenario.DisposeAsync();
            }
        }
    }
}

/// <summary><see cref="AllocationRoundTripTests{TProtocols}"/> on the diagonal: v1 with FE 0.1.2, v2 with FE 0.1.3.</summary>
public static class AllocationRoundTripTests
{
    public sealed class V1Fe012(AllocationRoundTripTests<Protocols.V1Fe012>.Fixture fixture) : AllocationRoundTripTests<Protocols.V1Fe012>(fixture);

    public sealed class V2Fe013(AllocationRoundTripTests<Protocols.V2Fe013>.Fixture fixture) : AllocationRoundTripTests<Protocols.V2Fe013>(fixture);
}

using System.Diagnostics;
using System.Text;
using Executor.Allocations.Tests.Infrastructure;
using Executor.Protocol.ServerV1;
using Executor.TestHost;
using FakeIndexifyServer;
using TestFunctionExecutor;
using Xunit;

namespace Executor.Allocations.Tests;

/// <summary>
/// Issue 7: the S3-compatible store fails while allocations use it. Each allocation ends in a defined failure after the
/// retries, reported exactly once and in bounded time; the executor keeps running and works again once S3 does.
/// </summary>
public abstract class S3FaultAllocationTests<TProtocols>
    where TProtocols : IProtocols
{
    private const string Bucket = "faults";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task S3StoppedWhileAnAllocationRunsEndsItInADefinedFailureReportedOnce()
    {
        await using var s3 = await S3rverProcess.StartAsync(Bucket);
        await using var scenario = await ExecutorScenario.StartAsync(new FakeServerOptions { BlobStoreUrl = $"s3://{Bucket}" }, environment: S3Bucket.ExecutorEnvironment(s3.ServiceUrl), protocols: TProtocols.Combination);
        using var bucket = new S3Bucket(Bucket, s3.ServiceUrl);
        var server = scenario.Server;
        var fe = await bucket.AddFunctionExecutorAsync(scenario, TestFunctions.SleepFor(3000), "stopped");
        await server.WaitForFunctionExecutorStatusAsync(fe.Id, FunctionExecutorStatus.Running, Bound);

        var arg = await PutArgumentAsync(server, bucket, "stopped", "\"before the stop\"");
        var allocation = server.AddAllocation(server.NewAllocation(fe, [arg], requestId: "req-stopped"));

        // Stop S3 once the allocation runs on the FE (the executor's uploads are created; the FE sleeps 3 s before it reads
        // its input and uploads its output): everything after that fails.
        await Testing.Eventually.TrueAsync(
            async () => (await scenario.Executor.GetAsync("/monitoring/metrics")).Body.Split('\n').Any(l => (l.StartsWith("allocation_runs_in_progress ", StringComparison.Ordinal) || l.StartsWith("allocation_runs_in_progress{", StringComparison.Ordinal)) && l.Split(' ')[^1] == "1"),
            Bound,
            "allocation running on the FE");
        var stopped = Stopwatch.StartNew();
        await s3.StopAsync();

        var result = await server.WaitForReportedResultAsync(allocation.AllocationId, Bound);
        Assert.Equal(AllocationOutcomeCode.Failure, result.OutcomeCode);
        Assert.Equal(AllocationFailureReason.FunctionError, result.FailureReason);
        Assert.True(stopped.Elapsed < Bound, $"failure took {stopped.Elapsed}");
        server.AssertReportedOnce(allocation.AllocationId);

        // The executor is fine: still up, still reporting, and the FE it ran on was not blamed.
        Assert.Equal(200, (await scenario.Executor.GetAsync("/monitoring/startup")).Status);
        Assert.Equal(FunctionExecutorStatus.Running, server.LastReportedStateOf(fe.Id)?.Status);

        // The unused uploads are aborted after the outcome went out (the cleanup is off the result's path).
        await Testing.Eventually.TrueAsync(
            () => scenario.Executor.Output.Contains("abort", StringComparison.OrdinalIgnoreCase),
            Bound,
            "the executor tried to abort the allocation's uploads");
    }

    [Fact]
    public async Task S3Answering500sFailsTheAllocationAfterRetriesAndTheNextOneSucceedsOnceS3Recovers()
    {
        await using var s3 = await S3rverProcess.StartAsync(Bucket);
        await using var proxy = await RecordingProxy.StartAsync(s3.ServiceUrl);
        await using var scenario = await ExecutorScenario.StartAsync(new FakeServerOptions { BlobStoreUrl = $"s3://{Bucket}" }, environment: S3Bucket.ExecutorEnvironment(proxy.Url), protocols: TProtocols.Combination);
        using var bucket = new S3Bucket(Bucket, s3.ServiceUrl);
        var server = scenario.Server;
        var fe = await bucket.AddFunctionExecutorAsync(scenario, TestFunctions.Echo, "errors");
        await server.WaitForFunctionExecutorStatusAsync(fe.Id, FunctionExecutorStatus.Running, Bound);
        var arg = await PutArgumentAsync(server, bucket, "errors", "\"x\"");

        proxy.FailWith = 500;
        var before = proxy.Requests.Count;
        var started = Stopwatch.StartNew();
        var failing = server.AddAllocation(server.NewAllocation(fe, [arg], requestId: "req-500"));
        var result = await server.WaitForReportedResultAsync(failing.AllocationId, Bound);
        Assert.Equal(AllocationOutcomeCode.Failure, result.OutcomeCode);
        Assert.Contains(result.FailureReason, new[] { AllocationFailureReason.InternalError, AllocationFailureReason.FunctionError });
        Assert.True(started.Elapsed < Bound, $"failure took {started.Elapsed}");
        server.AssertReportedOnce(failing.AllocationId);

        // Retried, not given up at the first 500: some request was sent more than once.
        var during = proxy.Requests.Skip(before).Where(r => r.Status == 500).ToList();
        Assert.Contains(during.GroupBy(r => (r.Method, r.Path, Query: string.Join('&', r.Query.OrderBy(q => q.Key).Select(q => q.Key + "=" + q.Value)))), g => g.Count() >= 2);

        proxy.FailWith = null;
        var ok = server.AddAllocation(server.NewAllocation(fe, [arg], requestId: "req-ok"));
        var okResult = await server.WaitForReportedResultAsync(ok.AllocationId, Bound);
        Assert.Equal(AllocationOutcomeCode.Success, okResult.OutcomeCode);
        Assert.Equal(200, (await scenario.Executor.GetAsync("/monitoring/startup")).Status);
    }

    private static async Task<DataPayload> PutArgumentAsync(FakeServer server, S3Bucket bucket, string application, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var key = $"ns/{application}/{Guid.NewGuid():N}/input-0";
        await bucket.PutAsync(key, bytes);
        return server.Blobs.Describe(key, bytes, PayloadEncodings.Json);
    }
}

/// <summary><see cref="S3FaultAllocationTests{TProtocols}"/> on the diagonal: v1 with FE 0.1.2, v2 with FE 0.1.3.</summary>
public static class S3FaultAllocationTests
{
    public sealed class V1Fe012 : S3FaultAllocationTests<Protocols.V1Fe012>;

    public sealed class V2Fe013 : S3FaultAllocationTests<Protocols.V2Fe013>;
}

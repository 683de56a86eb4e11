using System.Security.Cryptography;
using System.Text;
using Executor.Allocations.Tests.Infrastructure;
using Executor.Protocol.ServerV1;
using Executor.TestHost;
using Executor.Testing;
using FakeIndexifyServer;
using TestFunctionExecutor;
using Xunit;

namespace Executor.Allocations.Tests;

/// <summary>Issue 5: allocations whose code, inputs and outputs live in S3 (s3rver behind a recording proxy).</summary>
public abstract class S3AllocationTests<TProtocols>
    where TProtocols : IProtocols
{
    private const string Bucket = "allocations";

    // The aborts run right after the outcome is handed over; generous for a loaded 2-core machine.
    private static readonly TimeSpan AbortBound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task EchoAndMultipartOutputsRoundTripThroughS3()
    {
        await using var s3 = await S3rverProcess.StartAsync(Bucket);
        await using var proxy = await RecordingProxy.StartAsync(s3.ServiceUrl);
        var environment = new Dictionary<string, string>(S3Bucket.ExecutorEnvironment(proxy.Url))
        {
            ["BLOBSTORE__WRITEPARTSIZEFIRST100"] = "1024",
            ["BLOBSTORE__READCHUNKSIZE"] = "1024",
        };
        await using var scenario = await ExecutorScenario.StartAsync(new FakeServerOptions { BlobStoreUrl = $"s3://{Bucket}" }, environment: environment, protocols: TProtocols.Combination);
        using var bucket = new S3Bucket(Bucket, s3.ServiceUrl);
        var server = scenario.Server;

        var echo = await bucket.AddFunctionExecutorAsync(scenario, TestFunctions.Echo, "echo");
        var big = await bucket.AddFunctionExecutorAsync(scenario, TestFunctions.BigOutput(5000), "big");

        // A 3000-byte input: three 1 KiB read chunks.
        var input = Encoding.UTF8.GetBytes("\"" + new string('s', 2998) + "\"");
        var request = "req-" + Guid.NewGuid().ToString("N");
        var argKey = $"ns/echo/{request}/input-0";
        await bucket.PutAsync(argKey, input);
        var arg = server.Blobs.Describe(argKey, input, PayloadEncodings.Json);
        var echoAllocation = server.AddAllocation(server.NewAllocation(echo, [arg], requestId: request));
        var bigAllocation = server.AddAllocation(server.NewAllocation(big, requestId: "req-" + Guid.NewGuid().ToString("N")));

        var echoResult = await scenario.WaitForResultAsync(echoAllocation);
        scenario.AssertSuccess(echoResult, echo.Id);
        Assert.Equal($"s3://{Bucket}/ns/echo/{request}.{echoAllocation.AllocationId}.blob-1.output", echoResult.Value.Uri);
        Assert.Equal((ulong)input.Length, echoResult.Value.Size);
        var echoed = await bucket.GetAsync(echoResult.Value.Uri);
        Assert.Equal(input, echoed);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(echoed)), echoResult.Value.Sha256Hash);

        var bigResult = await scenario.WaitForResultAsync(bigAllocation);
        scenario.AssertSuccess(bigResult, big.Id);
        var expected = new byte[5000];
        TestFunctions.FillPattern(TestFunctions.PatternSeed(bigAllocation.AllocationId), 0, expected);
        Assert.Equal(expected, await bucket.GetAsync(bigResult.Value.Uri));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(expected)), bigResult.Value.Sha256Hash);

        // How the bytes moved: the FE read the input with one ranged GET per 1 KiB chunk, and uploaded each output
        // as 1 KiB parts (5 for 5000 bytes, 3 for 3000) into one multipart upload that the executor then completed.
        var requests = proxy.Requests;
        Assert.Equal(3, requests.Count(r => r.Method == "GET" && r.Path == $"/{Bucket}/{argKey}" && r.Range is not null));
        AssertUploadedInParts(requests, bucket.Key(bigResult.Value.Uri), 5);
        AssertUploadedInParts(requests, bucket.Key(echoResult.Value.Uri), 3);

        // The unused request-error uploads were aborted, not leaked. The outcome is handed to the Server before the
        // runner deletes the allocation on the FE and aborts its unused uploads, so a reported result does not mean
        // the aborts ran yet: wait for S3 to have answered each abort (the proxy records a request once S3 replied).
        foreach (var allocation in new[] { echoAllocation, bigAllocation })
        {
            var errorPath = $"/{Bucket}/{bucket.Key($"{allocation.RequestErrorPayloadUriPrefix}.{allocation.AllocationId}.req_error")}";
            Assert.Contains(requests, r => r.Method == "POST" && r.Path == errorPath && r.Query.ContainsKey("uploads"));
            await Eventually.TrueAsync(
                () => proxy.Requests.Any(r => r.Method == "DELETE" && r.Path == errorPath && r.Query.ContainsKey("uploadId") && r.Status == 204),
                AbortBound,
                $"S3 answered the abort of {errorPath} with 204");
        }

        // s3rver keeps in-progress uploads under <bucket>/._S3rver_uploads/<upload id>: none is left.
        var uploads = Path.Combine(s3.DataDirectory, Bucket, "._S3rver_uploads");
        Assert.Empty(Directory.Exists(uploads) ? Directory.EnumerateDirectories(uploads) : []);
        server.AssertReportedOnce(echoAllocation.AllocationId);
        server.AssertReportedOnce(bigAllocation.AllocationId);
    }

    private static void AssertUploadedInParts(IReadOnlyList<ProxiedRequest> requests, string key, int parts)
    {
        var path = $"/{Bucket}/{key}";
        var puts = requests.Where(r => r.Method == "PUT" && r.Path == path && r.Query.ContainsKey("partNumber")).ToList();
        Assert.Equal(Enumerable.Range(1, parts).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), puts.Select(p => p.Query["partNumber"]).Order(StringComparer.Ordinal));
        Assert.Single(puts.Select(p => p.Query["uploadId"]).Distinct());
        Assert.Single(requests, r => r.Method == "POST" && r.Path == path && r.Query.TryGetValue("uploadId", out var id) && id == puts[0].Query["uploadId"]);
    }
}

/// <summary><see cref="S3AllocationTests{TProtocols}"/> on the diagonal: v1 with FE 0.1.2, v2 with FE 0.1.3.</summary>
public static class S3AllocationTests
{
    public sealed class V1Fe012 : S3AllocationTests<Protocols.V1Fe012>;

    public sealed class V2Fe013 : S3AllocationTests<Protocols.V2Fe013>;
}

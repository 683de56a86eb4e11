using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Executor.Allocations.Tests.Infrastructure;
using Executor.Protocol.ServerV1;
using Executor.TestHost;
using FakeIndexifyServer;
using TestFunctionExecutor;
using Xunit;

namespace Executor.Allocations.Tests;

/// <summary>Issue 5 (a), (b): many allocations on one FE, bounded concurrency, exact bytes; multi-chunk BLOBs on file://.</summary>
public abstract partial class ConcurrencyAndBlobTests<TProtocols>(ConcurrencyAndBlobTests<TProtocols>.Fixture fixture) : IClassFixture<ConcurrencyAndBlobTests<TProtocols>.Fixture>
    where TProtocols : IProtocols
{
    private readonly Fixture _fixture = fixture;

    private const int SleepMs = 1500;

    [Fact]
    public async Task AllocationsRunAtMostMaxConcurrencyAtOnceAndReportTheBytesTheFunctionProduced()
    {
        const int count = 6;
        const int maxConcurrency = 2;

        // The fake places every allocation at once (see Fixture), so the executor's own FIFO queue is what bounds concurrency.
        var scenario = _fixture.Scenario;
        var fe = scenario.AddSmallFunctionExecutor(TestFunctions.SleepFor(SleepMs), maxConcurrency: maxConcurrency, application: "sleepy");
        var started = Stopwatch.StartNew();
        var allocations = Enumerable.Range(0, count).Select(i => scenario.AddAllocation(fe, $"{{\"n\":{i},\"pad\":\"{new string('x', i * 7)}\"}}")).ToList();

        foreach (var allocation in allocations)
        {
            var result = await scenario.WaitForResultAsync(allocation);
            scenario.AssertSuccess(result, fe.Id);
            Assert.False(result.HasFailureReason);
            Assert.True(result.HasExecutionDurationMs);
            Assert.True(result.ExecutionDurationMs >= SleepMs, $"duration {result.ExecutionDurationMs} ms is shorter than the function's sleep");

            var expected = scenario.Server.Blobs.Read(allocation.Args[0]);
            Assert.Equal($"{allocation.RequestDataPayloadUriPrefix}.{allocation.AllocationId}.blob-1.output", result.Value.Uri);
            Assert.Equal(DataPayloadEncoding.Utf8Json, result.Value.Encoding);
            Assert.Equal(PayloadEncodings.Json, result.Value.ContentType);
            Assert.Equal(0UL, result.Value.Offset);
            Assert.Equal(0UL, result.Value.MetadataSize);
            Assert.Equal((ulong)expected.Length, result.Value.Size);
            Assert.Equal(string.Empty, result.Value.SourceFunctionCallId);
            var produced = scenario.Server.Blobs.Read(result.Value);
            Assert.Equal(expected, produced);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(produced)), result.Value.Sha256Hash);
        }

        var elapsed = started.Elapsed;
        foreach (var allocation in allocations)
        {
            scenario.Server.AssertReportedOnce(allocation.AllocationId);
        }

        // FE-side evidence: the test FE logs "allocation X started" on create_allocation and "finished" on its result.
        var log = scenario.ReadFunctionExecutorLog(fe.Id);
        var (peak, starts) = PeakConcurrency(log);
        Assert.Equal(count, starts);
        Assert.True(peak <= maxConcurrency, $"{peak} allocations ran at once on an FE with max_concurrency {maxConcurrency}:\n{log}");
        Assert.True(peak > 1, $"allocations never overlapped:\n{log}");

        // Timing agrees: 6 sleeps two at a time take at least three sleep periods.
        Assert.True(elapsed >= TimeSpan.FromMilliseconds(SleepMs * (count / maxConcurrency)), $"finished in {elapsed}");
    }

    [Fact]
    public async Task BlobsLargerThanOneChunkAreSplitAndReassembled()
    {
        // 1 KiB chunks (see Fixture): a 5000-byte output is written through 5 parts, a 3000-byte input read through 3 chunks.
        var scenario = _fixture.Scenario;
        var big = scenario.AddSmallFunctionExecutor(TestFunctions.BigOutput(5000), application: "big");
        var echo = scenario.AddSmallFunctionExecutor(TestFunctions.Echo, application: "echo");
        var bigAllocation = scenario.AddAllocation(big);
        var input = "\"" + string.Concat(Enumerable.Range(0, 300).Select(i => i.ToString("D9", System.Globalization.CultureInfo.InvariantCulture) + ",")) + "\"";
        Assert.True(input.Length > 2048);
        var echoAllocation = scenario.AddAllocation(echo, input);

        var bigResult = await scenario.WaitForResultAsync(bigAllocation);
        scenario.AssertSuccess(bigResult, big.Id);
        Assert.Equal(5000UL, bigResult.Value.Size);
        Assert.Equal(DataPayloadEncoding.Raw, bigResult.Value.Encoding);
        var expected = new byte[5000];
        TestFunctions.FillPattern(TestFunctions.PatternSeed(bigAllocation.AllocationId), 0, expected);
        var produced = scenario.Server.Blobs.Read(bigResult.Value);
        Assert.Equal(expected, produced);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(expected)), bigResult.Value.Sha256Hash);
        Assert.Equal(5000, new FileInfo(new Uri(bigResult.Value.Uri).LocalPath).Length);

        var echoResult = await scenario.WaitForResultAsync(echoAllocation);
        scenario.AssertSuccess(echoResult, echo.Id);
        Assert.Equal(Encoding.UTF8.GetBytes(input), scenario.Server.Blobs.Read(echoResult.Value));

        scenario.Server.AssertReportedOnce(bigAllocation.AllocationId);
        scenario.Server.AssertReportedOnce(echoAllocation.AllocationId);
    }

    /// <summary>Largest number of allocations between their "started" and "finished" lines, and the number of starts.</summary>
    private static (int Peak, int Starts) PeakConcurrency(string log)
    {
        int running = 0, peak = 0, starts = 0;
        foreach (Match match in Lifecycle().Matches(log))
        {
            if (match.Groups[1].Value == "started")
            {
                starts++;
                peak = Math.Max(peak, ++running);
            }
            else
            {
                running--;
            }
        }

        return (peak, starts);
    }

    [GeneratedRegex(@"allocation \S+ (started|finished)\b")]
    private static partial Regex Lifecycle();

    /// <summary>
    /// The fake places every allocation at once (so the executor's own FIFO queue is what bounds concurrency), and
    /// BLOB chunks are 1 KiB so small payloads span several chunks and parts.
    /// </summary>
    public sealed class Fixture() : ScenarioFixture(TProtocols.Combination)
    {
        protected override FakeServerOptions ServerOptions => new() { EnforceFunctionExecutorCapacity = false };

        protected override IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
        {
            ["BLOBSTORE__WRITEPARTSIZEFIRST100"] = "1024",
            ["BLOBSTORE__READCHUNKSIZE"] = "1024",
        };
    }
}

/// <summary><see cref="ConcurrencyAndBlobTests{TProtocols}"/> on the diagonal: v1 with FE 0.1.2, v2 with FE 0.1.3.</summary>
public static class ConcurrencyAndBlobTests
{
    public sealed class V1Fe012(ConcurrencyAndBlobTests<Protocols.V1Fe012>.Fixture fixture) : ConcurrencyAndBlobTests<Protocols.V1Fe012>(fixture);

    public sealed class V2Fe013(ConcurrencyAndBlobTests<Protocols.V2Fe013>.Fixture fixture) : ConcurrencyAndBlobTests<Protocols.V2Fe013>(fixture);
}

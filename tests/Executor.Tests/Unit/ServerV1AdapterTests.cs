using System.Text;
using Executor.Configuration;
using Executor.Metrics;
using Executor.Model;
using Executor.Server;
using Executor.Server.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit;
using ProtoV1 = Executor.Protocol.ServerV1;

namespace Executor.Tests.Unit;

/// <summary>The v1 adapter's pure parts: state_hash, result validation and quarantine, the report size limit, text format.</summary>
public sealed class ServerV1AdapterTests
{
    private static ServerV1Connection NewConnection(int maxReportBytes = 10 * 1024 * 1024)
    {
        var options = Options.Create(new ExecutorOptions { MaxReportBytes = maxReportBytes });
        var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        return new ServerV1Connection(new ServerChannelProvider(options, NullLogger<ServerChannelProvider>.Instance), new ServerMetrics(meters), NullLogger<ServerV1Connection>.Instance, options);
    }

    private static ExecutorReport Report(IReadOnlyDictionary<string, string> labels, IReadOnlyList<AllocationOutcome>? results = null) => new()
    {
        ExecutorId = "exec-1",
        Hostname = "host",
        Version = ExecutorIdentity.Version,
        Status = ExecutorStatus.Running,
        TotalResources = new HostCapacity(2, 1024 * 1024 * 1024, 1024 * 1024 * 1024, null),
        TotalFunctionExecutorResources = new HostCapacity(2, 1024 * 1024 * 1024, 1024 * 1024 * 1024, null),
        Labels = labels,
        Results = results ?? [],
        ServerClock = 7,
    };

    private static AllocationOutcome Outcome(string id, int valueBytes = 10) => new()
    {
        AllocationId = id,
        FunctionExecutorId = "fe",
        Function = new FunctionRef("ns", "app", "fn", null),
        FunctionCallId = "call-" + id,
        RequestId = "req",
        Outcome = OutcomeCode.Success,
        Value = new DataPayloadRef { Uri = "file:///blobs/" + new string('x', valueBytes), Sha256 = "ab", Size = 3, Encoding = PayloadEncoding.Utf8Json },
        ExecutionDurationMs = 5,
    };

    [Fact]
    public void StateHashIgnoresLabelInsertionOrderAndClockButFollowsContent()
    {
        var connection = NewConnection();
        var a = connection.BuildRequest(Report(new Dictionary<string, string> { ["a"] = "1", ["b"] = "2", ["c"] = "3" })).Request.ExecutorState;
        var b = connection.BuildRequest(Report(new Dictionary<string, string> { ["c"] = "3", ["a"] = "1", ["b"] = "2" }) with { ServerClock = 99 }).Request.ExecutorState;
        var c = connection.BuildRequest(Report(new Dictionary<string, string> { ["a"] = "1", ["b"] = "2", ["c"] = "4" })).Request.ExecutorState;

        Assert.Equal(a.StateHash, b.StateHash);
        Assert.NotEqual(a.StateHash, c.StateHash);
        Assert.Matches("^[0-9a-f]{64}$", a.StateHash);
        Assert.Equal(99UL, b.ServerClock);
    }

    [Fact]
    public void ReportAlwaysCarriesAnExecutorUpdateAndResultsWithThePresentButEmptyVersion()
    {
        var (request, delivered, leftOver) = NewConnection().BuildRequest(Report(new Dictionary<string, string>(), [Outcome("one")]));
        Assert.NotNull(request.ExecutorUpdate);
        Assert.Equal("exec-1", request.ExecutorUpdate.ExecutorId);
        Assert.Equal(["one"], delivered);
        Assert.False(leftOver);
        var result = request.ExecutorUpdate.AllocationResults.Single();
        Assert.True(result.Function.HasApplicationVersion);
        Assert.Equal(string.Empty, result.Function.ApplicationVersion);
        Assert.True(result.Value.HasSourceFunctionCallId);
        Assert.False(result.HasFailureReason);
    }

    [Fact]
    public void ResultsBeyondTheSizeLimitWaitForTheNextReportNewestFirstAndOneAlwaysGoes()
    {
        var connection = NewConnection(maxReportBytes: 1024 * 1024);
        var results = Enumerable.Range(0, 5).Select(i => Outcome("r" + i, 300 * 1024)).ToList();
        var (request, delivered, leftOver) = connection.BuildRequest(Report(new Dictionary<string, string>(), results));
        Assert.True(leftOver);
        Assert.Equal(["r4", "r3", "r2"], delivered);
        Assert.True(request.CalculateSize() < 1024 * 1024);

        var (_, single, _) = NewConnection(maxReportBytes: 1024 * 1024).BuildRequest(Report(new Dictionary<string, string>(), [Outcome("huge", 2 * 1024 * 1024)]));
        Assert.Equal(["huge"], single);
    }

    [Fact]
    public void MalformedResultIsReplacedByACleanInternalErrorFailureAndUnknownNeverGoesOut()
    {
        var bad = Outcome("bad") with { Updates = new CallGraph { RootFunctionCallId = "root", Nodes = [new CallGraphNode { Id = null, Target = null }] }, Value = null };
        var unknown = Outcome("unknown") with { Outcome = OutcomeCode.Unknown, Value = null };
        var (request, delivered, _) = NewConnection().BuildRequest(Report(new Dictionary<string, string>(), [bad, unknown]));
        Assert.Equal(2, delivered.Count);
        foreach (var result in request.ExecutorUpdate.AllocationResults)
        {
            Assert.Equal(ProtoV1.AllocationOutcomeCode.Failure, result.OutcomeCode);
            Assert.Equal(ProtoV1.AllocationFailureReason.InternalError, result.FailureReason);
            Assert.Null(result.Updates);
            Assert.Null(result.Value);
            Assert.Null(result.RequestError);
            Assert.Equal("req", result.RequestId);
            Assert.Equal("ns", result.Function.Namespace);
        }
    }

    [Fact]
    public void TextFormatPrintsPresenceAwareFieldsMapsInKeyOrderAndEscapesBytes()
    {
        var state = new ProtoV1.DesiredExecutorState { Clock = 0 };
        state.Allocations.Add(new ProtoV1.Allocation { AllocationId = "a\"1", FunctionCallMetadata = Google.Protobuf.ByteString.CopyFrom(0, 10, 65) });
        var text = ProtoTextFormatter.Format(state);
        Assert.Contains("clock: 0", text, StringComparison.Ordinal);
        Assert.Contains("allocation_id: \"a\\\"1\"", text, StringComparison.Ordinal);
        Assert.Contains("function_call_metadata: \"\\000\\nA\"", text, StringComparison.Ordinal);

        var executor = new ProtoV1.ExecutorState();
        executor.Labels["z"] = "1";
        executor.Labels["a"] = "2";
        var labels = ProtoTextFormatter.Format(executor);
        Assert.True(labels.IndexOf("key: \"a\"", StringComparison.Ordinal) < labels.IndexOf("key: \"z\"", StringComparison.Ordinal));
    }

    [Fact]
    public void TlsConfigFileReadsUpstreamFormat()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "use_tls: true\ntls_config:\n  ca_bundle_path: \"\"\n  # comment\n");
            var tls = TlsConfigFile.Load(path);
            Assert.True(tls.UseTls);
            Assert.Null(tls.CaBundlePath);

            File.WriteAllText(path, "use_tls: false\n");
            Assert.False(TlsConfigFile.Load(path).UseTls);

            File.WriteAllText(path, "use_tls: true\ntls_config:\n  cert_path: /nope/cert.pem\n");
            Assert.Throws<InvalidDataException>(() => TlsConfigFile.Load(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ExecutorIdLooksLikeUpstreamsNanoid()
    {
        var ids = Enumerable.Range(0, 100).Select(_ => ExecutorIdentity.NewExecutorId()).ToList();
        Assert.All(ids, id => Assert.Matches("^[_\\-0-9a-zA-Z]{21}$", id));
        Assert.Equal(100, ids.Distinct().Count());
    }
}

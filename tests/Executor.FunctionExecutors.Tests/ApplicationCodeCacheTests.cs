using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Executor.FunctionExecutors.Tests.Infrastructure;
using Executor.Protocol.ServerV1;
using Executor.TestHost;
using Executor.Testing;
using TestFunctionExecutor;

namespace Executor.FunctionExecutors.Tests;

/// <summary>
/// Application code is downloaded once per (namespace, application, version, sha256) and reused from
/// &lt;cache&gt;/application_cache by later FEs; an entry that no longer matches its sha256 is never trusted.
/// </summary>
public abstract partial class ApplicationCodeCacheTests<TProtocols>(SharedExecutorFixture<TProtocols> fixture)
    where TProtocols : IProtocols
{
    private const string Application = "cached";

    [Fact]
    public async Task CodeIsDownloadedOnceReusedByTheNextFunctionExecutorAndRefetchedWhenCorrupted()
    {
        var scenario = fixture.Scenario;
        var server = scenario.Server;
        var bytes = Encoding.UTF8.GetBytes("PK-cached-application-code");
        var code = server.Blobs.Put($"ns/{Application}/code/1.zip", bytes, "application/zip");
        var blobFile = Path.Combine(server.Blobs.LocalDirectory!, "ns", Application, "code", "1.zip");
        var entry = Path.Combine(scenario.Executor.CachePath, "application_cache", "ns", Application, "1", code.Sha256Hash);

        // The executor is shared: count only this test's fetches.
        var before = await CountersAsync(scenario);

        // 1. First FE of the version: downloaded, then cached.
        await StartAsync(scenario, "echo+first", code, FunctionExecutorStatus.Running);
        Assert.Equal(bytes, File.ReadAllBytes(entry));

        // 2. The source is gone: a second FE of the same version (another function) still starts, from the cache.
        File.Delete(blobFile);
        var second = await StartAsync(scenario, "echo+second", code, FunctionExecutorStatus.Running);
        var allocation = scenario.AddAllocation(second);
        Assert.Equal(AllocationOutcomeCode.Success, (await server.WaitForResultAsync(allocation.AllocationId, ReportLog.Patience)).OutcomeCode);

        // 3. A corrupted entry (same size, other bytes) is not used: with no source to refetch from, startup fails.
        var corrupted = (byte[])bytes.Clone();
        corrupted[0] ^= 0xFF;
        File.WriteAllBytes(entry, corrupted);
        var third = await StartAsync(scenario, "echo+third", code, FunctionExecutorStatus.Terminated);
        Assert.Equal(
            FunctionExecutorTerminationReason.StartupFailedInternalError,
            ReportLog.StateOf(await server.WaitForStatusAsync(third.Id, FunctionExecutorStatus.Terminated), third.Id)!.TerminationReason);

        // 4. Once the source is back, the bad entry is replaced by a fresh download.
        File.WriteAllBytes(blobFile, bytes);
        await StartAsync(scenario, "echo+fourth", code, FunctionExecutorStatus.Running);
        Assert.Equal(bytes, File.ReadAllBytes(entry));

        // Four fetches: two downloads (1, 4), one from the cache (2), one failure (3).
        await Eventually.TrueAsync(
            async () => (await CountersAsync(scenario)) == (before.Fetches + 4, before.FromCache + 1, before.Errors + 1),
            ReportLog.Patience,
            "application download counters +4 fetches / +1 from cache / +1 error");
    }

    private static async Task<(long Fetches, long FromCache, long Errors)> CountersAsync(ExecutorScenario scenario)
    {
        var metrics = (await scenario.Executor.GetAsync("/monitoring/metrics")).Body;
        return (Counter(metrics, "application_downloads"), Counter(metrics, "application_downloads_from_cache"), Counter(metrics, "application_download_errors"));
    }

    private static async Task<FunctionExecutorDescription> StartAsync(ExecutorScenario scenario, string function, DataPayload code, FunctionExecutorStatus awaited)
    {
        var fe = scenario.Server.AddFunctionExecutor(scenario.ExecutorId, scenario.Server.NewFunctionExecutor("ns", Application, function, "1", codePayload: code));
        await scenario.Server.WaitForStatusAsync(fe.Id, awaited);
        return fe;
    }

    /// <summary>A counter's value in Prometheus text; 0 before it was first incremented (not exported yet).</summary>
    private static long Counter(string prometheusText, string name)
    {
        foreach (Match match in CounterLine().Matches(prometheusText))
        {
            if (match.Groups["name"].Value == name)
            {
                return long.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    [GeneratedRegex(@"^(?<name>[a-z_]+?)(_total)?(\{[^}]*\})? (?<value>\d+)", RegexOptions.Multiline)]
    private static partial Regex CounterLine();
}

/// <summary><see cref="ApplicationCodeCacheTests{TProtocols}"/> on the diagonal, each on the shared executor of its combination.</summary>
public static class ApplicationCodeCacheTests
{
    [Collection(SharedExecutorFixture.V1Fe012)]
    public sealed class V1Fe012(SharedExecutorFixture<Protocols.V1Fe012> fixture) : ApplicationCodeCacheTests<Protocols.V1Fe012>(fixture);

    [Collection(SharedExecutorFixture.V2Fe013)]
    public sealed class V2Fe013(SharedExecutorFixture<Protocols.V2Fe013> fixture) : ApplicationCodeCacheTests<Protocols.V2Fe013>(fixture);
}

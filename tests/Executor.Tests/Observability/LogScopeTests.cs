using System.Text.Json;
using Executor.TestHost;
using Executor.Testing;
using TestFunctionExecutor;
using Xunit;

namespace Executor.Tests.Observability;

/// <summary>
/// Production logs (JSON lines) carry the executor, Function Executor and allocation ids as named scope values,
/// whatever component wrote the line: the ExecutorGrain, an FE grain, the shared process launcher, an allocation run.
/// </summary>
public sealed class LogScopeTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task JsonLinesCarryExecutorFunctionExecutorAndAllocationIdsAsScopes()
    {
        await using var scenario = await ExecutorScenario.StartAsync(
            environment: new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Production" },
            readableLogs: false);
        var executorId = scenario.ExecutorId;

        // One allocation that hangs in its FE, then is cancelled by the Server: the run writes its "stopped" line.
        var fe = scenario.AddFunctionExecutor(TestFunctions.Hang, application: "scopes");
        var allocation = scenario.AddAllocation(fe);
        await Eventually.TrueAsync(
            () => ReadFunctionExecutorLog(scenario, fe.Id).Contains($"allocation {allocation.AllocationId}: hanging", StringComparison.Ordinal),
            Patience,
            "the allocation runs (hangs) in the FE");
        scenario.Server.CancelAllocation(allocation.AllocationId);

        // (c) The allocation run: allocation, request, function call, FE and executor ids.
        var stopped = await FindLineAsync(
            scenario,
            l => l.Category == "Executor.FunctionExecutors.FunctionExecutorGrain" && l.Message.StartsWith($"allocation {allocation.AllocationId} stopped", StringComparison.Ordinal),
            "the allocation run's stopped line");
        Assert.Equal(allocation.AllocationId, stopped.Scope("AllocationId"));
        Assert.Equal(allocation.RequestId, stopped.Scope("RequestId"));
        Assert.Equal(allocation.FunctionCallId, stopped.Scope("FunctionCallId"));
        Assert.Equal(fe.Id, stopped.Scope("FunctionExecutorId"));
        Assert.Equal(executorId, stopped.Scope("ExecutorId"));

        // (a) The ExecutorGrain: the id that registered with the Server, and no FE or allocation id.
        var registered = await FindLineAsync(
            scenario,
            l => l.Category == "Executor.Reconciliation.ExecutorGrain" && l.Message.Contains("registered with the Server", StringComparison.Ordinal),
            "the ExecutorGrain's registered line");
        Assert.Equal(executorId, registered.Scope("ExecutorId"));
        Assert.Null(registered.Scope("FunctionExecutorId"));

        // (b) The FE grain, and the shared process launcher working for it.
        var running = await FindLineAsync(
            scenario,
            l => l.Category == "Executor.FunctionExecutors.FunctionExecutorGrain" && l.Message.Contains($"function executor {fe.Id} is running", StringComparison.Ordinal),
            "the FE grain's running line");
        Assert.Equal(fe.Id, running.Scope("FunctionExecutorId"));
        Assert.Equal(executorId, running.Scope("ExecutorId"));
        Assert.Null(running.Scope("AllocationId"));

        var launching = await FindLineAsync(
            scenario,
            l => l.Category == "Executor.FunctionExecutors.Processes.FunctionExecutorProcessLauncher" && l.Message.Contains(fe.Id, StringComparison.Ordinal),
            "the process launcher's line about the FE");
        Assert.Equal(fe.Id, launching.Scope("FunctionExecutorId"));
        Assert.Equal(executorId, launching.Scope("ExecutorId"));

        // Every line is one JSON object, and no line carries a scope key twice (nested scopes are not repeated).
        var lines = Lines(scenario, out var notJson);
        Assert.True(notJson.Count == 0, "lines that are not JSON:\n" + string.Join('\n', notJson));
        foreach (var line in lines)
        {
            var duplicated = line.ScopeKeys.GroupBy(k => k, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            Assert.True(duplicated.Count == 0, $"scope keys {string.Join(", ", duplicated)} repeated in: {line.Raw}");
        }
    }

    private static async Task<LogLine> FindLineAsync(ExecutorScenario scenario, Func<LogLine, bool> predicate, string because)
    {
        try
        {
            return await Eventually.UntilNotNullAsync(() => Lines(scenario, out _).FirstOrDefault(predicate), Patience, because);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}\n--- executor output ---\n{scenario.Executor.Output}", ex);
        }
    }

    private static List<LogLine> Lines(ExecutorScenario scenario, out List<string> notJson)
    {
        var lines = new List<LogLine>();
        notJson = [];
        foreach (var raw in scenario.Executor.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (LogLine.TryParse(raw) is { } line)
            {
                lines.Add(line);
            }
            else
            {
                notJson.Add(raw);
            }
        }

        return lines;
    }

    private static string ReadFunctionExecutorLog(ExecutorScenario scenario, string functionExecutorId)
    {
        var directory = Path.Combine(scenario.Executor.CachePath, "fe-logs");
        var file = Directory.Exists(directory)
            ? Directory.EnumerateFiles(directory, "*.log").FirstOrDefault(f => Path.GetFileNameWithoutExtension(f).Contains(functionExecutorId, StringComparison.Ordinal))
            : null;
        if (file is null)
        {
            return string.Empty;
        }

        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>One JSON console line: category, message and the named values of every scope it was written in.</summary>
    private sealed record LogLine(string Raw, string Category, string Message, IReadOnlyList<KeyValuePair<string, string?>> Scopes)
    {
        public IEnumerable<string> ScopeKeys => Scopes.Select(s => s.Key);

        public string? Scope(string key) => Scopes.Where(s => s.Key == key).Select(s => s.Value).FirstOrDefault();

        public static LogLine? TryParse(string raw)
        {
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(raw);
            }
            catch (JsonException)
            {
                return null;
            }

            using (document)
            {
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    return null;
                }

                var scopes = new List<KeyValuePair<string, string?>>();
                if (root.TryGetProperty("Scopes", out var scopeArray))
                {
                    foreach (var scope in scopeArray.EnumerateArray().Where(s => s.ValueKind == JsonValueKind.Object))
                    {
                        // "Message" is the formatter's rendering of the whole scope, not a value of it.
                        scopes.AddRange(scope.EnumerateObject()
                            .Where(p => p.Name != "Message")
                            .Select(p => new KeyValuePair<string, string?>(p.Name, p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText())));
                    }
                }

                return new LogLine(
                    raw,
                    root.TryGetProperty("Category", out var category) ? category.GetString() ?? string.Empty : string.Empty,
                    root.TryGetProperty("Message", out var message) ? message.GetString() ?? string.Empty : string.Empty,
                    scopes);
            }
        }
    }
}

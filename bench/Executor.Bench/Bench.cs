using System.Diagnostics;
using System.Globalization;
using Executor.Protocol.ServerV1;
using Grpc.Core;
using Grpc.Net.Client;
using TestFunctionExecutor;

namespace Executor.Bench;

/// <summary>The measurements. Each returns figures for the table and raw details for the JSON.</summary>
public sealed class Bench(BenchOptions options, List<Figure> figures, Dictionary<string, object> details, CancellationToken cancellationToken)
{
    private TimeSpan WaitTimeout => options.Smoke ? TimeSpan.FromSeconds(30) : TimeSpan.FromSeconds(120);

    private static void Log(string message) => Console.Error.WriteLine($"[bench {DateTime.Now:HH:mm:ss}] {message}");

    private void Add(string area, string name, double value, string unit, string? target = null, string? bar = null, string? note = null, bool? met = null) =>
        figures.Add(new Figure(area, name, Math.Round(value, 3), unit, target, bar, note) { Met = met });

    public async Task RunMainAsync()
    {
        Log($"starting executor {options.Executable}");
        var environment = new Dictionary<string, string>(options.Environment ?? new Dictionary<string, string>());
        if (options.Smoke)
        {
            // A snapshot that changes nothing reported is echoed by the next periodic report: 1 s instead of 5 s keeps the
            // smoke's reconciliation steps short. Results are reported at once either way.
            environment.TryAdd("EXECUTOR__ReportInterval", "00:00:01");
        }

        await using var world = await World.StartAsync(options.Executable, environment, cancellationToken, options.ServerProtocol);
        var startupMs = world.Startup.TotalMilliseconds;
        Add("startup", "process start → /monitoring/startup 200", startupMs, "ms", "≤ 700", "870 (upstream 0.4.56 here)", met: startupMs <= 700);
        Add("startup", "process start → registered at the fake (first report)", world.Registered.TotalMilliseconds, "ms");
        Log($"startup {startupMs:0} ms, registered {world.Registered.TotalMilliseconds:0} ms; executor pid {world.Executor.Pid}");

        // Idle: registered, heartbeating, no FEs.
        var cpu0 = world.Executor.CpuSeconds();
        var idleFor = TimeSpan.FromSeconds(options.Smoke ? 2 : options.Runs("idle") ? 30 : 1);
        await Task.Delay(idleFor, cancellationToken);
        var idleRss = world.Executor.RssBytes() / 1048576.0;
        var idleCpu = world.Executor.CpuSeconds() - cpu0;
        Add("resources", $"idle RSS after {idleFor.TotalSeconds:0} s", idleRss, "MiB", "≤ 80 MB", "88 MB", met: idleRss * 1.048576 <= 80);
        Add("resources", "idle CPU", idleCpu / idleFor.TotalSeconds * 100, "% of a core");
        var anon = ProcFs.StatusBytes(world.Executor.Pid, "RssAnon:") / 1048576.0;
        var file = ProcFs.StatusBytes(world.Executor.Pid, "RssFile:") / 1048576.0;
        var shmem = ProcFs.StatusBytes(world.Executor.Pid, "RssShmem:") / 1048576.0;
        details["idle_rss_split_mib"] = new { anon, file, shmem };
        Add("resources", "  of which anonymous (GC heap, native, stacks)", anon, "MiB", note: $"file-backed (mapped DLLs) {file:0.0} MiB; shmem (executable memory behind W^X: JIT code, stubs) {shmem:0.0} MiB");

        await FakeOverheadAsync(world);
        var feOwn = await FeDirectAsync();
        if (options.Runs("fe-startup"))
        {
            await FeStartupAsync(world, feOwn);
        }

        var echo = world.NewFunctionExecutor(TestFunctions.Echo, 1);
        await world.AddAndWaitRunningAsync([echo], WaitTimeout);
        if (options.Runs("latency"))
        {
            await LatencyAsync(world, echo, feOwn);
        }

        if (options.Runs("throughput"))
        {
            await ThroughputAsync(world, "1 FE × max_concurrency 1", [echo], 1, 86, null);
            var wide = world.NewFunctionExecutor(TestFunctions.Echo, 64);
            await world.AddAndWaitRunningAsync([wide], WaitTimeout);
            await ThroughputAsync(world, "1 FE × max_concurrency 64", [wide], 64, null, null);
            var eight = Enumerable.Range(0, 8).Select(_ => world.NewFunctionExecutor(TestFunctions.Echo, 8)).ToList();
            await world.AddAndWaitRunningAsync(eight, WaitTimeout);
            await ThroughputAsync(world, "8 FEs × max_concurrency 8", eight, 8, 155, 2000);
        }

        if (options.Runs("reconciliation"))
        {
            await ReconciliationAsync(world);
        }
        details["executor_output_lines"] = world.Executor.OutputLines;
        if (world.Executor.HasExited)
        {
            throw new BenchFailure("the executor exited during the run:\n" + world.Executor.Tail);
        }
    }

    /// <summary>The fake's own costs: a gRPC unary round trip to it, and AddAllocation's bookkeeping.</summary>
    private async Task FakeOverheadAsync(World world)
    {
        using var channel = GrpcChannel.ForAddress(world.Server.Url);
        var client = new ExecutorAPI.ExecutorAPIClient(channel);
        var samples = new List<double>();
        for (var i = 0; i < (options.Smoke ? 50 : 300); i++)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                using var call = client.get_desired_executor_states(new GetDesiredExecutorStatesRequest { ExecutorId = "no-such-executor" }, cancellationToken: cancellationToken);
                await call.ResponseStream.MoveNext(cancellationToken);
            }
            catch (RpcException)
            {
                // NOT_FOUND: the cheapest full round trip through the fake's gRPC stack.
            }

            if (i >= 10)
            {
                samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }

        var rtt = Summary.Of(samples);
        details["fake_grpc_round_trip_ms"] = rtt;
        Add("fake server", "gRPC round trip to the fake (NOT_FOUND path), p50", rtt.P50, "ms", note: "loopback HTTP/2 + Kestrel + client; the e2e path has 2 such hops to the fake");
    }

    private async Task<(FeDirect.StartTimes Start, Summary Run)> FeDirectAsync()
    {
        var starts = new List<FeDirect.StartTimes>();
        Summary? run = null;
        var samples = options.Smoke ? 1 : 5;
        for (var i = 0; i < samples; i++)
        {
            var (fe, times) = await FeDirect.StartAsync(TestFunctions.Echo, cancellationToken);
            await using (fe)
            {
                starts.Add(times);
                if (i == samples - 1)
                {
                    var runs = new List<double>();
                    var totals = new List<double>();
                    var count = options.Smoke ? 40 : 500;
                    var warm = count / 5;
                    var input = FeDirect.Utf8("{\"n\":1}");
                    for (var j = 0; j < count; j++)
                    {
                        var r = await fe.RunEchoAsync("direct-" + j.ToString(CultureInfo.InvariantCulture), input, cancellationToken);
                        if (j >= warm)
                        {
                            runs.Add(r.CreateToResultMs);
                            totals.Add(r.TotalMs);
                        }
                    }

                    run = Summary.Of(runs);
                    details["fe_direct_echo_create_to_result_ms"] = run;
                    details["fe_direct_echo_with_delete_ms"] = Summary.Of(totals);
                }
            }
        }

        details["fe_direct_start_ms"] = starts;
        var listen = Summary.Of(starts.Select(s => s.SpawnToListeningMs).ToList());
        var ready = Summary.Of(starts.Select(s => s.SpawnToInitializedMs).ToList());
        Add("FE (direct, no executor)", "test FE spawn → port accepts, median", listen.P50, "ms", note: "bare .NET test FE process start (real Python FE: 520 ms)");
        Add("FE (direct, no executor)", "test FE spawn → get_info → initialize done, median", ready.P50, "ms");
        Add("FE (direct, no executor)", "echo create → result (same RPCs as the executor), p50", run!.P50, "ms", note: $"p99 {run.P99:0.###} ms; the FE's own run time incl. its gRPC hops");
        return (starts[starts.Count / 2] with { SpawnToInitializedMs = ready.P50, SpawnToListeningMs = listen.P50 }, run);
    }

    private async Task FeStartupAsync(World world, (FeDirect.StartTimes Start, Summary Run) feOwn)
    {
        var plain = new List<double>();
        var slow = new List<double>();
        var created = new List<FunctionExecutorDescription>();
        for (var i = 0; i < (options.Smoke ? 1 : 5); i++)
        {
            var fe = world.NewFunctionExecutor(TestFunctions.Echo, 1);
            created.Add(fe);
            plain.Add((await world.AddAndWaitRunningAsync([fe], WaitTimeout))[0]);
        }

        if (!options.Smoke)
        {
            for (var i = 0; i < 3; i++)
            {
                var fe = world.NewFunctionExecutor(TestFunctions.Combine(TestFunctions.InitSlow(500), TestFunctions.Echo), 1);
                created.Add(fe);
                slow.Add((await world.AddAndWaitRunningAsync([fe], WaitTimeout))[0]);
            }
        }

        var p = Summary.Of(plain);
        details["fe_push_to_running_ms"] = plain;
        var overhead = p.P50 - feOwn.Start.SpawnToInitializedMs;
        Add("FE startup", "FE pushed → RUNNING in a report (echo), median", p.P50, "ms", bar: "590 (FE's own 520)");
        Add("FE startup", "  minus the FE's own spawn → initialized (direct)", overhead, "ms", "≤ 20", note: "executor overhead: port probe backoff, code fetch, grain hops, report; direct and executor FE starts are minutes apart, so under load this difference is noise (negative = unknown)", met: overhead < 0 ? null : overhead <= 20);
        if (slow.Count > 0)
        {
            var s = Summary.Of(slow);
            details["fe_push_to_running_init_slow_500_ms"] = slow;
            Add("FE startup", "FE pushed → RUNNING, init_slow_500, median", s.P50, "ms", note: $"overhead beyond own start+500 ms init: {s.P50 - feOwn.Start.SpawnToInitializedMs - 500:0.#} ms");
        }

        foreach (var fe in created)
        {
            world.Server.RemoveFunctionExecutor(fe.Id);
        }

        foreach (var fe in created)
        {
            await world.Server.WaitForFunctionExecutorGoneAsync(fe.Id, WaitTimeout);
        }
    }

    private async Task LatencyAsync(World world, FunctionExecutorDescription fe, (FeDirect.StartTimes Start, Summary Run) feOwn)
    {
        var count = options.Smoke ? 60 : 1000;
        var warm = options.Smoke ? 10 : 100;
        var e2e = new List<double>();
        var exec = new List<double>();
        var adds = new List<double>();
        double cpu0 = 0;
        for (var i = 0; i < warm + count; i++)
        {
            if (i == warm)
            {
                cpu0 = world.Executor.CpuSeconds();
            }

            var allocation = world.NewAllocation(fe, i);
            var after = world.Server.LastSequence;
            var pushedAt = DateTimeOffset.UtcNow;
            var started = Stopwatch.GetTimestamp();
            world.Server.AddAllocation(allocation);
            var addMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var id = allocation.AllocationId;
            var report = await world.Server.WaitForReportAsync(r => r.AcceptedAllocationIds.Contains(id), WaitTimeout, after);
            var result = report.AllocationResults.First(r => r.AllocationId == id);
            if (result.OutcomeCode != AllocationOutcomeCode.Success)
            {
                throw new BenchFailure($"allocation {id} failed: {result}");
            }

            if (i >= warm)
            {
                e2e.Add((report.ReceivedAt - pushedAt).TotalMilliseconds);
                exec.Add(result.ExecutionDurationMs);
                adds.Add(addMs);
            }
        }

        var cpu = world.Executor.CpuSeconds() - cpu0;
        var s = Summary.Of(e2e);
        details["latency_e2e_ms"] = s;
        details["latency_reported_execution_duration_ms"] = Summary.Of(exec);
        details["fake_add_allocation_call_ms"] = Summary.Of(adds);
        Add("latency", $"push → result at the fake, p50 ({count} sequential echo)", s.P50, "ms", bar: "11 (p90 16), FE's own 4–8");
        Add("latency", "push → result at the fake, p99", s.P99, "ms");
        Add("latency", "push → result at the fake, max", s.Max, "ms");
        var addedP50 = s.P50 - feOwn.Run.P50;
        var addedP99 = s.P99 - feOwn.Run.P50;
        Add("latency", "added by executor ≈ e2e p50 − direct FE p50", addedP50, "ms", "≤ 1", note: $"direct FE echo p50 {feOwn.Run.P50:0.###} ms subtracted; includes 2 fake hops", met: addedP50 <= 1);
        Add("latency", "added by executor ≈ e2e p99 − direct FE p50", addedP99, "ms", "≤ 5", met: addedP99 <= 5);
        Add("latency", "fake AddAllocation call itself, p50", Summary.Of(adds).P50, "ms", note: "bookkeeping + snapshot build under the fake's lock");
        Add("resources", "executor CPU per 1,000 sequential allocations", cpu / count * 1000, "CPU s");
        Log($"latency e2e {s}");
    }

    private async Task ThroughputAsync(World world, string name, IReadOnlyList<FunctionExecutorDescription> fes, int concurrency, double? bar, double? target)
    {
        var total = options.Smoke ? 100 : 2000;
        var warm = total / 10;
        var server = world.Server;
        var window = concurrency * 2; // the fake places max_concurrency per FE; the rest wait in its queue, as on the real Server
        var next = 0;
        var owner = new Dictionary<string, FunctionExecutorDescription>(StringComparer.Ordinal);
        var pending = new Queue<Allocation>[fes.Count];
        for (var f = 0; f < fes.Count; f++)
        {
            pending[f] = new Queue<Allocation>();
        }

        // Arguments are written before timing.
        for (var i = 0; i < warm + total; i++)
        {
            var f = i % fes.Count;
            var a = world.NewAllocation(fes[f], i);
            pending[f].Enqueue(a);
            owner[a.AllocationId] = fes[f];
        }

        var index = fes.Select((fe, i) => (fe.Id, i)).ToDictionary(x => x.Id, x => x.i, StringComparer.Ordinal);
        var completed = 0;
        var failed = 0;
        var after = server.LastSequence;
        long measureStart = 0;
        var countersBefore = string.Empty;
        double cpu0 = 0, cpuFe0 = 0, cpuBench0 = 0;
        long maxRss = 0;
        using var sampler = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        using var stopSampling = new CancellationTokenSource();
        var sampling = Task.Run(async () =>
        {
            try
            {
                while (await sampler.WaitForNextTickAsync(stopSampling.Token))
                {
                    if (measureStart != 0)
                    {
                        maxRss = Math.Max(maxRss, world.Executor.RssBytes());
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        void AddNext(int f)
        {
            if (pending[f].TryDequeue(out var a))
            {
                server.AddAllocation(a);
                next++;
            }
        }

        for (var f = 0; f < fes.Count; f++)
        {
            for (var k = 0; k < window; k++)
            {
                AddNext(f);
            }
        }

        var feCpu = () => world.Executor.ChildPids().Sum(ProcFs.CpuSeconds);
        while (completed < warm + total)
        {
            var report = await server.WaitForReportAsync(r => r.AcceptedAllocationIds.Count > 0, WaitTimeout, after);
            after = report.Sequence;
            foreach (var result in report.AllocationResults)
            {
                if (!owner.TryGetValue(result.AllocationId, out var fe) || !report.AcceptedAllocationIds.Contains(result.AllocationId))
                {
                    continue;
                }

                if (result.OutcomeCode != AllocationOutcomeCode.Success)
                {
                    failed++;
                }

                completed++;
                if (completed == warm)
                {
                    countersBefore = await world.Executor.GetMetricsTextAsync(cancellationToken);
                    measureStart = Stopwatch.GetTimestamp();
                    cpu0 = world.Executor.CpuSeconds();
                    cpuFe0 = feCpu();
                    cpuBench0 = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
                }

                AddNext(index[fe.Id]);
            }
        }

        var elapsed = Stopwatch.GetElapsedTime(measureStart).TotalSeconds;
        var cpu = world.Executor.CpuSeconds() - cpu0;
        var cpuFe = feCpu() - cpuFe0;
        var cpuBench = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - cpuBench0;
        await stopSampling.CancelAsync();
        await sampling;
        if (failed > 0)
        {
            throw new BenchFailure($"{failed} allocations failed in throughput run {name}");
        }

        var rate = total / elapsed;
        await Task.Delay(320, cancellationToken); // scrape cache
        var countersAfter = await world.Executor.GetMetricsTextAsync(cancellationToken);
        double PerAllocation(string counter) =>
            Math.Round((Math.Max(ExecutorHandle.PromValue(countersAfter, counter + "_total"), ExecutorHandle.PromValue(countersAfter, counter))
                - Math.Max(ExecutorHandle.PromValue(countersBefore, counter + "_total"), ExecutorHandle.PromValue(countersBefore, counter))) / total, 2);
        var reports = PerAllocation("state_report_rpcs");
        var reconciliations = PerAllocation("state_reconciliations");
        details[$"throughput {name}"] = new { total, seconds = elapsed, per_second = rate, executor_cpu_s = cpu, fe_cpu_s = cpuFe, bench_and_fake_cpu_s = cpuBench, max_rss_mib = maxRss / 1048576.0, reports_per_allocation = reports, reconciliations_per_allocation = reconciliations };
        Add("throughput", $"  report RPCs / desired states applied per allocation ({name})", reports, "per allocation", note: $"{reconciliations} reconciliations per allocation");
        Add("throughput", name, rate, "allocations/s", target is null ? null : $"≥ {target}", bar?.ToString(CultureInfo.InvariantCulture), $"{total} allocations in {elapsed:0.00} s", target is null ? null : rate >= target);
        Add("resources", $"CPU per 1,000 allocations ({name}): executor / FEs / fake+bench", cpu / total * 1000, "CPU s", note: $"FEs {cpuFe / total * 1000:0.00} s, fake+bench {cpuBench / total * 1000:0.00} s; {(cpu + cpuFe + cpuBench) / elapsed * 50:0}% of 2 cores busy");
        Add("resources", $"executor RSS under load ({name}), max", maxRss / 1048576.0, "MiB");
        Log($"throughput {name}: {rate:0} /s (executor {cpu:0.00} CPU s, FEs {cpuFe:0.00}, fake+bench {cpuBench:0.00} over {elapsed:0.00} s)");
    }

    private async Task ReconciliationAsync(World world)
    {
        var server = world.Server;
        var fe = world.NewFunctionExecutor(TestFunctions.InitHang, 1); // never RUNNING: allocations only queue, nothing runs
        var arg = server.Blobs.Put("ns/shared/input", "{\"n\":0}"u8, "application/json");
        var clock = 1_000_000UL;
        var rows = new List<object>();

        DesiredExecutorState Desired(IEnumerable<Allocation> allocations)
        {
            var desired = new DesiredExecutorState { Clock = clock += 1000 };
            desired.FunctionExecutors.Add(fe);
            desired.Allocations.AddRange(allocations);
            return desired;
        }

        async Task<(double E2e, double Histogram, double Count, double FakeMs)> ApplyAsync(DesiredExecutorState desired)
        {
            await Task.Delay(320, cancellationToken); // the Prometheus exporter caches scrapes for 300 ms
            var before = await world.Executor.GetMetricsTextAsync(cancellationToken);
            var after = server.LastSequence;
            var started = Stopwatch.GetTimestamp();
            server.ReplaceDesiredState(world.ExecutorId, desired);
            var fakeMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var pushedAt = DateTimeOffset.UtcNow;
            var target = desired.Clock;
            var report = await server.WaitForReportAsync(r => r.ServerClock == target, WaitTimeout, after);
            await Task.Delay(350, cancellationToken);
            var afterText = await world.Executor.GetMetricsTextAsync(cancellationToken);
            var sum = ExecutorHandle.PromValue(afterText, "state_reconciliation_latency_seconds_sum") - ExecutorHandle.PromValue(before, "state_reconciliation_latency_seconds_sum");
            var count = ExecutorHandle.PromValue(afterText, "state_reconciliation_latency_seconds_count") - ExecutorHandle.PromValue(before, "state_reconciliation_latency_seconds_count");
            return ((report.ReceivedAt - pushedAt).TotalMilliseconds, sum * 1000, count, fakeMs);
        }

        // The FE first (its process start is not part of any figure).
        await ApplyAsync(Desired([]));
        var sizes = options.Smoke ? new[] { 1, 1000 } : new[] { 1, 100, 1000, 10_000 };
        var applied = new Dictionary<int, double>();
        List<Allocation> current = [];
        foreach (var size in sizes)
        {
            current = Enumerable.Range(0, size).Select(i => server.NewAllocation(fe, [arg], requestId: $"r{size}-{i}")).ToList();
            var (e2e, hist, count, fakeMs) = await ApplyAsync(Desired(current));
            applied[size] = hist;
            rows.Add(new { step = $"apply {size}", e2e_ms = e2e, grain_ms = hist, reconciliations = count, fake_replace_ms = fakeMs });
            Add("reconciliation", $"apply {size:N0} new allocations: in-grain (histogram Δ)", hist, "ms", size == 10_000 ? "≤ 200" : null, note: $"push → echoing report {e2e:0.#} ms (fake build {fakeMs:0.#} ms); {count} reconciliation(s)", met: size == 10_000 ? hist <= 200 : null);
            Log($"reconcile apply {size}: grain {hist:0.##} ms, e2e {e2e:0.#} ms, count {count}");
            if (size != sizes[^1])
            {
                var cleared = await ApplyAsync(Desired([]));
                rows.Add(new { step = $"remove {size}", e2e_ms = cleared.E2e, grain_ms = cleared.Histogram, reconciliations = cleared.Count, fake_replace_ms = cleared.FakeMs });
                Add("reconciliation", $"remove {size:N0} queued allocations: in-grain", cleared.Histogram, "ms", note: $"push → echoing report {cleared.E2e:0.#} ms");
            }
        }

        var oneMore = new List<double>();
        var oneMoreE2e = new List<double>();
        for (var i = 0; i < (options.Smoke ? 2 : 10); i++)
        {
            current.Add(server.NewAllocation(fe, [arg], requestId: $"extra-{i}"));
            var (e2e, hist, _, _) = await ApplyAsync(Desired(current));
            oneMore.Add(hist);
            oneMoreE2e.Add(e2e);
        }

        var top = sizes[^1];
        var one = Summary.Of(oneMore);
        rows.Add(new { step = $"+1 on top of {top}", grain_ms = oneMore, e2e_ms = oneMoreE2e });
        Add("reconciliation", $"one new allocation on top of {top:N0}: in-grain, median", one.P50, "ms", top == 10_000 ? "≤ 5" : null, note: $"push → echoing report median {Summary.Of(oneMoreE2e).P50:0.#} ms", met: top == 10_000 ? one.P50 <= 5 : null);
        if (applied.TryGetValue(1000, out var k1) && applied.TryGetValue(100, out var h1))
        {
            Add("reconciliation", "growth 100 → 1,000 (×10 allocations)", k1 / Math.Max(h1, 1e-6), "×", "≤ 10 (linear)", met: k1 / Math.Max(h1, 1e-6) <= 12);
        }

        if (applied.TryGetValue(10_000, out var k10) && applied.TryGetValue(1000, out var k1b))
        {
            Add("reconciliation", "growth 1,000 → 10,000 (×10 allocations)", k10 / Math.Max(k1b, 1e-6), "×", "≤ 10 (linear)", met: k10 / Math.Max(k1b, 1e-6) <= 12);
        }

        details["reconciliation"] = rows;

        // Leave nothing behind: the FE and its queue go away.
        var final = new DesiredExecutorState { Clock = clock += 1000 };
        server.ReplaceDesiredState(world.ExecutorId, final);
        await server.WaitForFunctionExecutorGoneAsync(fe.Id, WaitTimeout);
    }

    /// <summary>
    /// Startup and idle RSS under alternative runtime settings or executables (fresh fake + executor each time). With
    /// <see cref="BenchOptions.Interleave"/> the starts go round-robin (A, B, A, B, ...) so that every variant sees the
    /// same load over time; otherwise all repetitions of one variant run before the next.
    /// </summary>
    public async Task RunVariantsAsync(IReadOnlyList<(string Name, string Executable, Dictionary<string, string> Env)> variants)
    {
        var reps = Math.Max(1, options.Reps);
        var idle = options.VariantIdle;
        var selected = new List<(string Name, string Executable, Dictionary<string, string> Env)>();
        foreach (var variant in variants)
        {
            if (options.VariantFilter.Count > 0 && !options.VariantFilter.Any(f => variant.Name.Contains(f, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            if (!File.Exists(variant.Executable))
            {
                Log($"variant {variant.Name}: {variant.Executable} not found, skipped");
                continue;
            }

            selected.Add(variant);
        }

        var samples = selected.Select(_ => new VariantSamples()).ToArray();
        var order = options.Interleave
            ? Enumerable.Range(0, reps).SelectMany(_ => Enumerable.Range(0, selected.Count))
            : Enumerable.Range(0, selected.Count).SelectMany(v => Enumerable.Repeat(v, reps));
        foreach (var v in order)
        {
            var (name, executable, env) = selected[v];
            var sample = samples[v];
            await using var world = await World.StartAsync(executable, env, cancellationToken);
            sample.Startups.Add(world.Startup.TotalMilliseconds);
            sample.Registered.Add(world.Registered.TotalMilliseconds);
            sample.CpuToStart.Add(world.Executor.CpuSeconds());
            sample.Load.Add(LoadAverage());
            await Task.Delay(idle, cancellationToken);
            var pid = world.Executor.Pid;
            sample.Rss.Add(world.Executor.RssBytes() / 1048576.0);
            sample.Anon.Add(ProcFs.StatusBytes(pid, "RssAnon:") / 1048576.0);
            sample.File.Add(ProcFs.StatusBytes(pid, "RssFile:") / 1048576.0);
            sample.Shmem.Add(ProcFs.StatusBytes(pid, "RssShmem:") / 1048576.0);
            if (options.Interleave)
            {
                Log($"  {name}: startup {world.Startup.TotalMilliseconds:0} ms, CPU {sample.CpuToStart[^1]:0.00} s, RSS {sample.Rss[^1]:0.0} MiB (load {sample.Load[^1]:0.0})");
            }
        }

        var rows = new List<object>();
        for (var v = 0; v < selected.Count; v++)
        {
            var (name, executable, env) = selected[v];
            var sample = samples[v];
            var s = Summary.Of(sample.Startups);
            var cpu = Summary.Of(sample.CpuToStart);
            var mem = Summary.Of(sample.Rss);
            var split = $"anon {Summary.Of(sample.Anon).P50:0.0} / file {Summary.Of(sample.File).P50:0.0} / shmem {Summary.Of(sample.Shmem).P50:0.0} MiB";
            var spread = $"startup {s.Min:0}–{s.Max:0} ms, CPU {cpu.Min:0.00}–{cpu.Max:0.00} s, RSS {mem.Min:0.0}–{mem.Max:0.0} MiB";
            rows.Add(new { name, executable, env, startup_ms = sample.Startups, registered_ms = sample.Registered, cpu_s_to_start = sample.CpuToStart, idle_rss_mib = sample.Rss, rss_anon_mib = sample.Anon, rss_file_mib = sample.File, rss_shmem_mib = sample.Shmem, load_average_1m = sample.Load });
            Add("runtime settings", $"{name}: startup median", s.P50, "ms", note: $"idle RSS after {idle.TotalSeconds:0} s, median {mem.P50:0.0} MiB ({split}); CPU s to start, median {cpu.P50:0.00}; spread {spread}; startups {string.Join(", ", sample.Startups.Select(x => x.ToString("0", CultureInfo.InvariantCulture)))}");
            Log($"variant {name}: startup median {s.P50:0} ms ({string.Join(", ", sample.Startups.Select(x => x.ToString("0", CultureInfo.InvariantCulture)))}), CPU to start {cpu.P50:0.00} s, idle RSS {mem.P50:0.0} MiB ({split}); spread {spread}; load {Summary.Of(sample.Load).Min:0.0}–{Summary.Of(sample.Load).Max:0.0}");
        }

        details["runtime_variants"] = rows;
    }

    private static double LoadAverage()
        => File.Exists("/proc/loadavg") && double.TryParse(File.ReadAllText("/proc/loadavg").Split(' ')[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var load) ? load : double.NaN;

    private sealed class VariantSamples
    {
        public List<double> Startups { get; } = [];

        public List<double> Registered { get; } = [];

        public List<double> CpuToStart { get; } = [];

        public List<double> Load { get; } = [];

        public List<double> Rss { get; } = [];

        public List<double> Anon { get; } = [];

        public List<double> File { get; } = [];

        public List<double> Shmem { get; } = [];
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Executor.Bench;
using Executor.Testing;

// dotnet run -c Release --project bench/Executor.Bench -- --smoke | --full [--published | --build-output] [--no-variants] [--variants-only] [--variant TEXT]...
//     [--only idle,fe-startup,latency,throughput,reconciliation] [--startup-only [--compare PATH]...] [--interleave] [--reps N] [--idle SECONDS] [--timeout SECONDS] [--out PATH] [--executor PATH] [--executor-env KEY=VALUE]... [--server-protocol v1|v2]
var options = BenchOptions.Parse(args);
if (options is null)
{
    Console.Error.WriteLine("usage: Executor.Bench --smoke|--full [--published|--build-output] [--no-variants] [--variants-only] [--variant TEXT]... [--only SECTION,...] [--startup-only [--compare PATH]...] [--interleave] [--reps N] [--idle SECONDS] [--timeout SECONDS] [--out PATH] [--executor PATH] [--executor-env KEY=VALUE]... [--server-protocol v1|v2]");
    return 2;
}

using var cts = new CancellationTokenSource();
if (options.Published)
{
    // Before the watchdog: publishing is slow on a busy box and has its own bound.
    try
    {
        options = options.WithExecutable(await Publisher.EnsurePublishedAsync(m => Console.Error.WriteLine($"[bench {DateTime.Now:HH:mm:ss}] {m}"), cts.Token));
    }
    catch (Exception ex)
    {
        Console.Error.WriteLine("[bench] FAILED to publish the executor: " + ex.Message);
        return 1;
    }
}

var watchdog = new Thread(() =>
{
    if (!cts.Token.WaitHandle.WaitOne(options.GlobalTimeout))
    {
        Console.Error.WriteLine($"[bench] global timeout of {options.GlobalTimeout.TotalSeconds:0} s reached; killing the executor and exiting");
        ExecutorHandle.KillAll();
        Environment.Exit(3);
    }
})
{ IsBackground = true, Name = "bench-watchdog" };
watchdog.Start();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    ExecutorHandle.KillAll();
    Environment.Exit(130);
};

var figures = new List<Figure>();
var details = new Dictionary<string, object>();
var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "?";
var started = Stopwatch.GetTimestamp();
var exitCode = 0;
string? failure = null;
try
{
    var bench = new Bench(options, figures, details, cts.Token);
    if (options.StartupOnly)
    {
        // Ad-hoc: fresh starts of --executor with --executor-env only (the runtime-settings measurement of one variant).
        // With --compare: the executables A, B, ... started round-robin (A/B/A/B) under the same --executor-env.
        List<(string Name, string Executable, Dictionary<string, string> Env)> startups = [(options.Compare.Count > 0 ? "A: " + options.Executable : "--executor with --executor-env", options.Executable, new Dictionary<string, string>(options.Environment ?? new Dictionary<string, string>()))];
        startups.AddRange(options.Compare.Select((path, i) => ($"{(char)('B' + i)}: {path}", path, new Dictionary<string, string>(options.Environment ?? new Dictionary<string, string>()))));
        await bench.RunVariantsAsync(startups);
    }
    else if (!options.VariantsOnly)
    {
        await bench.RunMainAsync();
    }

    if (options.Variants && !options.StartupOnly)
    {
        await bench.RunVariantsAsync(options.RuntimeVariants());
    }
}
catch (Exception ex)
{
    failure = ex.ToString();
    Console.Error.WriteLine("[bench] FAILED: " + ex);
    exitCode = 1;
}
finally
{
    ExecutorHandle.KillAll();
}

var loadAfter = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "?";
var doc = new
{
    mode = options.Smoke ? "smoke" : "full",
    started_utc = DateTime.UtcNow.AddSeconds(-Stopwatch.GetElapsedTime(started).TotalSeconds).ToString("O", CultureInfo.InvariantCulture),
    duration_s = Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 1),
    machine = new { cores = Environment.ProcessorCount, loadavg_before = load, loadavg_after = loadAfter, runtime = Environment.Version.ToString(), os = System.Runtime.InteropServices.RuntimeInformation.OSDescription },
    executor = options.Executable,
    figures,
    details,
    failure,
};
var json = JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals });

Console.WriteLine();
Console.WriteLine(Table(figures));
Console.WriteLine($"load average before: {load}; after: {loadAfter}; {Environment.ProcessorCount} cores; {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s");
Console.WriteLine();
Console.WriteLine(json);
var outPath = options.OutPath ?? Path.Combine(RepositoryPaths.RepositoryRoot, "bench", "results", "latest.json");
Directory.CreateDirectory(Path.GetDirectoryName(outPath)!);
await File.WriteAllTextAsync(outPath, json);
Console.Error.WriteLine($"[bench] wrote {outPath}");
await cts.CancelAsync();
return exitCode;

static string Table(List<Figure> figures)
{
    var sb = new StringBuilder();
    sb.AppendLine("| area | figure | value | unit | target | upstream bar | verdict | note |");
    sb.AppendLine("|---|---|---:|---|---|---|---|---|");
    foreach (var f in figures)
    {
        sb.AppendLine(CultureInfo.InvariantCulture, $"| {f.Area} | {f.Name} | {f.Value:0.###} | {f.Unit} | {f.Target} | {f.Bar} | {f.Verdict} | {f.Note} |");
    }

    return sb.ToString();
}

namespace Executor.Bench
{
    public sealed class BenchOptions
    {
        /// <summary>The protocol the fake Server speaks (the executor negotiates it with `auto`).</summary>
        public FakeIndexifyServer.ServerProtocol ServerProtocol { get; init; } = FakeIndexifyServer.ServerProtocol.V1;

        public bool Smoke { get; init; }

        public bool Variants { get; init; }

        public bool VariantsOnly { get; init; }

        /// <summary>Only fresh starts of the configured executor (startup, CPU to start, idle RSS), <see cref="Reps"/> times.</summary>
        public bool StartupOnly { get; init; }

        /// <summary>More executables for --startup-only, started in turn with --executor's (A/B/A/B).</summary>
        public IReadOnlyList<string> Compare { get; init; } = [];

        /// <summary>Round-robin the variants' starts instead of running all repetitions of one before the next.</summary>
        public bool Interleave { get; init; }

        /// <summary>Fresh executor starts per runtime-setting variant.</summary>
        public int Reps { get; init; } = 3;

        /// <summary>Idle time before RSS is read in the variant runs.</summary>
        public TimeSpan VariantIdle { get; init; } = TimeSpan.FromSeconds(10);

        /// <summary>Sections of the main run to run (all when empty): idle, fe-startup, latency, throughput, reconciliation.</summary>
        public IReadOnlyList<string> Sections { get; init; } = [];

        public bool Runs(string section) => Sections.Count == 0 || Sections.Contains(section, StringComparer.OrdinalIgnoreCase);

        /// <summary>Substrings of variant names to run (all when empty).</summary>
        public IReadOnlyList<string> VariantFilter { get; init; } = [];

        public TimeSpan GlobalTimeout { get; init; }

        public string? OutPath { get; init; }

        public string Executable { get; init; } = RepositoryPaths.ExecutorExecutable;

        /// <summary>Measure the deployed form (single-file, self-contained, ReadyToRun publish; see <see cref="Publisher"/>): default of --full.</summary>
        public bool Published { get; init; }

        public BenchOptions WithExecutable(string executable) => new()
        {
            Smoke = Smoke,
            Variants = Variants,
            VariantsOnly = VariantsOnly,
            StartupOnly = StartupOnly,
            Compare = Compare,
            Interleave = Interleave,
            Reps = Reps,
            VariantIdle = VariantIdle,
            VariantFilter = VariantFilter,
            Sections = Sections,
            GlobalTimeout = GlobalTimeout,
            OutPath = OutPath,
            Executable = executable,
            Published = Published,
            Environment = Environment,
        };

        public IReadOnlyDictionary<string, string>? Environment { get; init; }

        public static BenchOptions? Parse(string[] args)
        {
            bool? smoke = null;
            bool? variants = null;
            var variantsOnly = false;
            var startupOnly = false;
            var compare = new List<string>();
            var interleave = false;
            bool? published = null;
            int? reps = null;
            double? idle = null;
            var filter = new List<string>();
            var sections = new List<string>();
            double? timeout = null;
            string? outPath = null;
            string? executable = null;
            var serverProtocol = FakeIndexifyServer.ServerProtocol.V1;
            var environment = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < args.Length; i++)
            {
                switch (args[i])
                {
                    case "--smoke": smoke = true; break;
                    case "--full": smoke = false; break;
                    case "--no-variants": variants = false; break;
                    case "--variants": variants = true; break;
                    case "--variants-only": variantsOnly = true; variants = true; break;
                    case "--variant" when i + 1 < args.Length: filter.Add(args[++i]); break;
                    case "--startup-only": startupOnly = true; break;
                    case "--compare" when i + 1 < args.Length: compare.Add(Path.GetFullPath(args[++i])); break;
                    case "--interleave": interleave = true; break;
                    case "--published": published = true; break;
                    case "--only" when i + 1 < args.Length: sections.AddRange(args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)); break;
                    case "--build-output": published = false; break;
                    case "--reps" when i + 1 < args.Length: reps = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                    case "--idle" when i + 1 < args.Length: idle = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                    case "--timeout" when i + 1 < args.Length: timeout = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                    case "--out" when i + 1 < args.Length: outPath = Path.GetFullPath(args[++i]); break;
                    case "--executor" when i + 1 < args.Length: executable = Path.GetFullPath(args[++i]); break;
                    case "--server-protocol" when i + 1 < args.Length && args[i + 1] is "v1" or "v2":
                        serverProtocol = args[++i] == "v2" ? FakeIndexifyServer.ServerProtocol.V2 : FakeIndexifyServer.ServerProtocol.V1;
                        break;
                    case "--executor-env" when i + 1 < args.Length && args[i + 1].Contains('=', StringComparison.Ordinal):
                        var pair = args[++i].Split('=', 2);
                        environment[pair[0]] = pair[1];
                        break;
                    default: return null;
                }
            }

            if (smoke is null)
            {
                return null;
            }

            return new BenchOptions
            {
                Smoke = smoke.Value,
                Variants = variants ?? !smoke.Value,
                VariantsOnly = variantsOnly,
                StartupOnly = startupOnly,
                Compare = compare,
                Interleave = interleave || compare.Count > 0,
                Reps = reps ?? 3,
                VariantIdle = TimeSpan.FromSeconds(idle ?? (smoke.Value ? 2 : 10)),
                VariantFilter = filter,
                Sections = sections,
                GlobalTimeout = TimeSpan.FromSeconds(timeout ?? (smoke.Value ? 120 : 1800)),
                OutPath = outPath,
                Executable = executable ?? RepositoryPaths.ExecutorExecutable,
                Published = executable is null && (published ?? !smoke.Value),
                Environment = environment,
                ServerProtocol = serverProtocol,
            };
        }

        /// <summary>Executor start and idle RSS under alternative runtime settings (env vars on the executor process).</summary>
        public IReadOnlyList<(string Name, string Executable, Dictionary<string, string> Env)> RuntimeVariants()
        {
            var build = RepositoryPaths.ExecutorExecutable;
            var baseline = Published ? "publish (single-file, self-contained, ReadyToRun; csproj settings)" : "build output (framework-dependent, JIT; csproj settings)";
            List<(string Name, string Executable, Dictionary<string, string> Env)> variants =
            [
                (baseline, Executable, []),
                ("DOTNET_TieredPGO=0", Executable, new() { ["DOTNET_TieredPGO"] = "0" }),
                ("DOTNET_TC_QuickJitForLoops=0", Executable, new() { ["DOTNET_TC_QuickJitForLoops"] = "0" }),
                ("DOTNET_TieredCompilation=0", Executable, new() { ["DOTNET_TieredCompilation"] = "0" }),
                ("DOTNET_ReadyToRun=0 (no precompiled code at all)", Executable, new() { ["DOTNET_ReadyToRun"] = "0" }),
                ("DOTNET_gcServer=1", Executable, new() { ["DOTNET_gcServer"] = "1" }),
                ("DOTNET_gcConcurrent=1", Executable, new() { ["DOTNET_gcConcurrent"] = "1" }),
                ("DOTNET_GCConserveMemory=5", Executable, new() { ["DOTNET_GCConserveMemory"] = "5" }),
                ("DOTNET_GCgen0size=0x200000 (2 MiB)", Executable, new() { ["DOTNET_GCgen0size"] = "0x200000" }),
                ("DOTNET_EnableWriteXorExecute=0", Executable, new() { ["DOTNET_EnableWriteXorExecute"] = "0" }),
                ("W^X off + TieredPGO=0", Executable, new() { ["DOTNET_EnableWriteXorExecute"] = "0", ["DOTNET_TieredPGO"] = "0" }),
                ("DOTNET_TieredPGO=1", Executable, new() { ["DOTNET_TieredPGO"] = "1" }),
                ("DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 (no thread-pool spin-waiting)", Executable, new() { ["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0" }),
                ("DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=70 (the runtime's default)", Executable, new() { ["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "70" }),
            ];
            if (Published && File.Exists(build))
            {
                variants.Add(("build output (framework-dependent, JIT), for comparison", build, []));
            }

            return variants;
        }
    }
}

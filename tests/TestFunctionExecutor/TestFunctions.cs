// Shared by the test Function Executor and by test projects (include this file by link).
// No dependencies beyond the BCL on purpose: test projects compile it into themselves.
using System.Globalization;

namespace TestFunctionExecutor;

/// <summary>
/// Function names understood by the test Function Executor. The function name given to
/// <c>initialize</c> picks the behaviour; several behaviours may be combined with '+'
/// (e.g. <c>"hang+unhealthy"</c>), unknown segments are ignored, and a name without a known
/// allocation behaviour echoes. See tests/TestFunctionExecutor/README.md.
/// </summary>
public static class TestFunctions
{
    /// <summary>Separator for combining behaviours in one function name.</summary>
    public const char Separator = '+';

    // Allocation behaviours (at most one per name; the first one wins).
    public const string Echo = "echo";
    public const string Sleep = "sleep";
    public const string FailFunction = "fail_function";
    public const string FailRequest = "fail_request";
    public const string FailInternal = "fail_internal";
    public const string Crash = "crash";
    public const string Hang = "hang";
    public const string CallAndWait = "call_and_wait";
    public const string TailCall = "tail_call";
    public const string StateWriteRead = "state_write_read";
    public const string StateReadMissing = "state_read_missing";
    public const string Env = "env";

    // Initialization behaviours.
    public const string InitError = "init_error";
    public const string InitHang = "init_hang";
    public const string InitCrash = "init_crash";

    // Health / process behaviours (combine freely with an allocation behaviour).
    public const string Unhealthy = "unhealthy";
    public const string HangHealth = "hang_health";

    /// <summary>The first watch_allocation_state stream of each allocation is reset after its first state (a broken connection).</summary>
    public const string BreakWatch = "break_watch";

    /// <summary>watch_allocation_state answers with a well-framed gRPC message whose bytes are not a protobuf message.</summary>
    public const string GarbageWatch = "garbage_watch";

    // Prefixes of parametrised names.
    public const string SleepPrefix = "sleep_";
    public const string InitSlowPrefix = "init_slow_";
    public const string CrashIdlePrefix = "crash_idle_";
    public const string ProgressPrefix = "progress_";
    public const string BigOutputPrefix = "big_output_";

    /// <summary>Exit code of every scripted crash (crash, crash_idle_*, init_crash).</summary>
    public const int CrashExitCode = 70;

    /// <summary>Exit code when the listen address cannot be bound (e.g. the port is taken).</summary>
    public const int AddressInUseExitCode = 2;

    /// <summary>Prefix call_and_wait puts before the child's value bytes.</summary>
    public const string CallAndWaitPrefix = "parent:";

    /// <summary>Value state_read_missing returns when the key is missing (UTF-8 text).</summary>
    public const string NotFoundValue = "not found";

    /// <summary>Status message of check_health for the unhealthy behaviour.</summary>
    public const string UnhealthyMessage = "scripted unhealthy";

    public static string SleepFor(int milliseconds) => SleepPrefix + Invariant(milliseconds);

    public static string InitSlow(int milliseconds) => InitSlowPrefix + Invariant(milliseconds);

    public static string CrashIdle(int milliseconds) => CrashIdlePrefix + Invariant(milliseconds);

    public static string Progress(int count, int intervalMilliseconds) => ProgressPrefix + Invariant(count) + "_" + Invariant(intervalMilliseconds);

    public static string BigOutput(long bytes) => BigOutputPrefix + bytes.ToString(CultureInfo.InvariantCulture);

    public static string Combine(params string[] behaviours) => string.Join(Separator, behaviours);

    /// <summary>Fields of the optional JSON object in the first argument that parametrise behaviours.</summary>
    public static class Input
    {
        /// <summary>sleep: run time in ms (the whole input may also be a bare JSON number).</summary>
        public const string SleepMs = "sleep_ms";

        /// <summary>call_and_wait / tail_call: name of the function to call (default "echo").</summary>
        public const string Function = "function";

        /// <summary>call_and_wait / tail_call: UTF-8 string passed as the child's argument (default: the whole input).</summary>
        public const string Payload = "payload";

        /// <summary>state_write_read / state_read_missing: request-state key.</summary>
        public const string Key = "key";

        /// <summary>state_write_read: UTF-8 string to store (default: the whole input).</summary>
        public const string Value = "value";

        /// <summary>fail_request: request error message (default "request failed").</summary>
        public const string Message = "message";
    }

    /// <summary>Default request-state keys.</summary>
    public const string DefaultStateKey = "test-key";
    public const string DefaultMissingStateKey = "missing-key";
    public const string DefaultRequestErrorMessage = "request failed";

    /// <summary>Seed of big_output_* content: FNV-1a of the allocation id (stable across processes).</summary>
    public static uint PatternSeed(string allocationId)
    {
        var hash = 2166136261u;
        foreach (var ch in allocationId)
        {
            hash = (hash ^ ch) * 16777619u;
        }

        return hash;
    }

    /// <summary>Fills <paramref name="destination"/> with big_output_* bytes starting at absolute <paramref name="offset"/>.</summary>
    public static void FillPattern(uint seed, long offset, Span<byte> destination)
    {
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = PatternByte(seed, offset + i);
        }
    }

    /// <summary>Byte number <paramref name="index"/> of a big_output_* value: cheap, non-periodic at 256.</summary>
    public static byte PatternByte(uint seed, long index) => (byte)((ulong)(index + seed) % 251);

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}

// Shared by the test Function Executor and by test projects (include this file by link).
// No dependencies beyond the BCL on purpose: test projects compile it into themselves.
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

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

    /// <summary>Starts one child call and returns without waiting for it (the executor must still forward it).</summary>
    public const string FireAndForget = "fire_and_forget";

    /// <summary>Starts a child call whose argument "fails to serialize" (0.1.3: function_call_creation_failed).</summary>
    public const string CallCreationFailed = "call_creation_failed";

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

    /// <summary>0.1.3: the first watch_allocation_event_log_reads stream of each allocation is reset after its first read request.</summary>
    public const string BreakReads = "break_reads";

    // Prefixes of parametrised names.
    public const string SleepPrefix = "sleep_";
    public const string InitSlowPrefix = "init_slow_";
    public const string CrashIdlePrefix = "crash_idle_";
    public const string ProgressPrefix = "progress_";
    public const string BigOutputPrefix = "big_output_";
    public const string CallWithTimeoutPrefix = "call_with_timeout_";
    public const string CallManyPrefix = "call_many_";

    /// <summary>Exit code of every scripted crash (crash, crash_idle_*, init_crash).</summary>
    public const int CrashExitCode = 70;

    /// <summary>Exit code when the listen address cannot be bound (e.g. the port is taken).</summary>
    public const int AddressInUseExitCode = 2;

    /// <summary>Prefix call_and_wait puts before the child's value bytes.</summary>
    public const string CallAndWaitPrefix = "parent:";

    /// <summary>Value call_with_timeout_* returns when its watcher timed out (UTF-8 text).</summary>
    public const string TimedOutValue = "timed out";

    /// <summary>Separator between the child values call_many_* returns after <see cref="CallAndWaitPrefix"/>.</summary>
    public const string CallManySeparator = ",";

    /// <summary>Default payload of call_many_*: child i gets "item-i".</summary>
    public const string DefaultCallManyPayload = "item";

    /// <summary>Prefix fire_and_forget puts before the id of the call it started.</summary>
    public const string FiredPrefix = "fired:";

    /// <summary>Prefix call_creation_failed puts before the serialization error message it caught.</summary>
    public const string CreationFailedPrefix = "creation failed: ";

    /// <summary>Value call_creation_failed returns if its call was started after all (the executor acknowledged it OK).</summary>
    public const string StartedValue = "started";

    /// <summary>Message of the serialization error call_creation_failed raises (and catches when the executor hands its metadata back).</summary>
    public const string SerializationErrorMessage = "scripted unserializable argument";

    /// <summary>0.1.3: InitializeResponse.error_message of init_error ("&lt;Type&gt;: &lt;message&gt;" as the real FE).</summary>
    public const string InitErrorMessage = "RuntimeError: scripted constructor exception";

    /// <summary>Value state_read_missing returns when the key is missing (UTF-8 text).</summary>
    public const string NotFoundValue = "not found";

    /// <summary>Status message of check_health for the unhealthy behaviour.</summary>
    public const string UnhealthyMessage = "scripted unhealthy";

    public static string SleepFor(int milliseconds) => SleepPrefix + Invariant(milliseconds);

    public static string InitSlow(int milliseconds) => InitSlowPrefix + Invariant(milliseconds);

    public static string CrashIdle(int milliseconds) => CrashIdlePrefix + Invariant(milliseconds);

    public static string Progress(int count, int intervalMilliseconds) => ProgressPrefix + Invariant(count) + "_" + Invariant(intervalMilliseconds);

    public static string BigOutput(long bytes) => BigOutputPrefix + bytes.ToString(CultureInfo.InvariantCulture);

    public static string CallWithTimeout(int milliseconds) => CallWithTimeoutPrefix + Invariant(milliseconds);

    public static string CallMany(int count) => CallManyPrefix + Invariant(count);

    public static string Combine(params string[] behaviours) => string.Join(Separator, behaviours);

    /// <summary>Fields of the optional JSON object in the first argument that parametrise behaviours.</summary>
    public static class Input
    {
        /// <summary>sleep: run time in ms (the whole input may also be a bare JSON number).</summary>
        public const string SleepMs = "sleep_ms";

        /// <summary>Every behaviour that calls a child: name of the function to call (default "echo").</summary>
        public const string Function = "function";

        /// <summary>Every behaviour that calls a child: UTF-8 string passed as the child's argument (default: the whole input; call_many_*: "item").</summary>
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

    /// <summary>Environment variable choosing the FE protocol of a process: "0.1.2" (default) or "0.1.3"; any other value is reported by get_info as is, and the FE then speaks 0.1.2.</summary>
    public const string ProtocolVariable = "TEST_FE_PROTOCOL";

    /// <summary>FE protocol 0.1.2: function calls, watchers and the result travel in AllocationState.</summary>
    public const string Protocol012 = "0.1.2";

    /// <summary>FE protocol 0.1.3 (tensorlake &gt;= 0.4.32, behaving as &gt;= 0.5.106): execution log and event log.</summary>
    public const string Protocol013 = "0.1.3";

    /// <summary>Both protocols, e.g. for xunit MemberData.</summary>
    public static IReadOnlyList<string> Protocols { get; } = [Protocol012, Protocol013];

    /// <summary>A --function-executor-id containing this speaks 0.1.3 whatever <see cref="ProtocolVariable"/> says.</summary>
    public const string Protocol013Marker = "fe013";

    /// <summary>A --function-executor-id containing this (and not <see cref="Protocol013Marker"/>) speaks 0.1.2 whatever <see cref="ProtocolVariable"/> says.</summary>
    public const string Protocol012Marker = "fe012";

    /// <summary>An FE id that selects <paramref name="protocol"/> by its marker: <c>"&lt;id&gt;-fe013"</c> or <c>"&lt;id&gt;-fe012"</c>.</summary>
    public static string WithProtocolMarker(string functionExecutorId, string protocol) => protocol switch
    {
        Protocol013 => $"{functionExecutorId}-{Protocol013Marker}",
        Protocol012 => $"{functionExecutorId}-{Protocol012Marker}",
        _ => throw new ArgumentException($"no id marker for FE protocol '{protocol}'", nameof(protocol)),
    };

    /// <summary>The environment that selects <paramref name="protocol"/> for FEs whose id has no marker.</summary>
    public static IReadOnlyDictionary<string, string> ProtocolEnvironment(string protocol) => new Dictionary<string, string> { [ProtocolVariable] = protocol };

    /// <summary>
    /// 0.1.3: durable id of the <paramref name="sequence"/>-th (1-based) child call an allocation of function call
    /// <paramref name="parentFunctionCallId"/> starts: 64 lowercase hex chars like the SDK's, and like them the same for
    /// every allocation (retry) of that function call.
    /// </summary>
    public static string DurableId(string parentFunctionCallId, int sequence)
        => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{parentFunctionCallId}/{Invariant(sequence)}")));

    /// <summary>
    /// 0.1.3: the opaque metadata call_creation_failed sends in function_call_creation_failed (the real FE sends a pickled
    /// exception). Not valid UTF-8 on purpose: the executor must hand back the same bytes, not a string.
    /// </summary>
    public static byte[] CreationFailedMetadata() => [0x80, 0x05, .. Encoding.UTF8.GetBytes("SerializationError: " + SerializationErrorMessage), 0x2E];

    /// <summary>0.1.3: the opaque call_metadata of every child call (the real FE sends a pickled FunctionCallMetadata); 0.1.2 sends none.</summary>
    public static byte[] ChildCallMetadata() => [0x80, 0x05, .. Encoding.UTF8.GetBytes("FunctionCallMetadata: test-fe"), 0x2E];

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

using System.Globalization;

namespace TestFunctionExecutor;

/// <summary>What an allocation does once it runs.</summary>
internal enum AllocationBehaviour
{
    Echo,
    Sleep,
    FailFunction,
    FailRequest,
    FailInternal,
    Crash,
    Hang,
    Progress,
    BigOutput,
    CallAndWait,
    TailCall,
    StateWriteRead,
    StateReadMissing,
    Env,
    CallWithTimeout,
    CallMany,
    CallCreationFailed,
    FireAndForget,
}

/// <summary>How initialize answers.</summary>
internal enum InitBehaviour
{
    Succeed,
    Error,
    Hang,
    Crash,
}

/// <summary>The behaviour script decoded from the function name given to initialize.</summary>
internal sealed record FunctionScript
{
    public AllocationBehaviour Allocation { get; init; } = AllocationBehaviour.Echo;

    /// <summary>sleep_N suffix; null = take the time from the input.</summary>
    public int? SleepMs { get; init; }

    public int ProgressCount { get; init; }

    public int ProgressIntervalMs { get; init; }

    public long BigOutputBytes { get; init; }

    /// <summary>call_with_timeout_N: the watcher's timeout.</summary>
    public int CallTimeoutMs { get; init; }

    /// <summary>call_many_N: how many child calls.</summary>
    public int CallCount { get; init; }

    public InitBehaviour Init { get; init; } = InitBehaviour.Succeed;

    public int InitDelayMs { get; init; }

    public int? CrashIdleMs { get; init; }

    public bool Unhealthy { get; init; }

    public bool HangHealth { get; init; }

    public bool BreakWatch { get; init; }

    public bool GarbageWatch { get; init; }

    public bool BreakReads { get; init; }

    /// <summary>Segments that named no behaviour (reported on stderr, otherwise ignored).</summary>
    public IReadOnlyList<string> Ignored { get; init; } = [];

    public static FunctionScript Parse(string functionName)
    {
        var script = new FunctionScript();
        AllocationBehaviour? allocation = null;
        var ignored = new List<string>();

        foreach (var segment in functionName.Split(TestFunctions.Separator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // First allocation behaviour wins so that names stay unambiguous.
            void SetAllocation(AllocationBehaviour behaviour) => allocation ??= behaviour;

            switch (segment)
            {
                case TestFunctions.Echo: SetAllocation(AllocationBehaviour.Echo); continue;
                case TestFunctions.Sleep: SetAllocation(AllocationBehaviour.Sleep); continue;
                case TestFunctions.FailFunction: SetAllocation(AllocationBehaviour.FailFunction); continue;
                case TestFunctions.FailRequest: SetAllocation(AllocationBehaviour.FailRequest); continue;
                case TestFunctions.FailInternal: SetAllocation(AllocationBehaviour.FailInternal); continue;
                case TestFunctions.Crash: SetAllocation(AllocationBehaviour.Crash); continue;
                case TestFunctions.Hang: SetAllocation(AllocationBehaviour.Hang); continue;
                case TestFunctions.CallAndWait: SetAllocation(AllocationBehaviour.CallAndWait); continue;
                case TestFunctions.TailCall: SetAllocation(AllocationBehaviour.TailCall); continue;
                case TestFunctions.StateWriteRead: SetAllocation(AllocationBehaviour.StateWriteRead); continue;
                case TestFunctions.StateReadMissing: SetAllocation(AllocationBehaviour.StateReadMissing); continue;
                case TestFunctions.Env: SetAllocation(AllocationBehaviour.Env); continue;
                case TestFunctions.CallCreationFailed: SetAllocation(AllocationBehaviour.CallCreationFailed); continue;
                case TestFunctions.FireAndForget: SetAllocation(AllocationBehaviour.FireAndForget); continue;
                case TestFunctions.InitError: script = script with { Init = InitBehaviour.Error }; continue;
                case TestFunctions.InitHang: script = script with { Init = InitBehaviour.Hang }; continue;
                case TestFunctions.InitCrash: script = script with { Init = InitBehaviour.Crash }; continue;
                case TestFunctions.Unhealthy: script = script with { Unhealthy = true }; continue;
                case TestFunctions.HangHealth: script = script with { HangHealth = true }; continue;
                case TestFunctions.BreakWatch: script = script with { BreakWatch = true }; continue;
                case TestFunctions.GarbageWatch: script = script with { GarbageWatch = true }; continue;
                case TestFunctions.BreakReads: script = script with { BreakReads = true }; continue;
            }

            if (TryParameters(segment, TestFunctions.InitSlowPrefix, 1, out var p))
            {
                script = script with { InitDelayMs = (int)p[0] };
            }
            else if (TryParameters(segment, TestFunctions.CrashIdlePrefix, 1, out p))
            {
                script = script with { CrashIdleMs = (int)p[0] };
            }
            else if (TryParameters(segment, TestFunctions.SleepPrefix, 1, out p) && allocation is null)
            {
                allocation = AllocationBehaviour.Sleep;
                script = script with { SleepMs = (int)p[0] };
            }
            else if (TryParameters(segment, TestFunctions.ProgressPrefix, 2, out p) && allocation is null)
            {
                allocation = AllocationBehaviour.Progress;
                script = script with { ProgressCount = (int)p[0], ProgressIntervalMs = (int)p[1] };
            }
            else if (TryParameters(segment, TestFunctions.BigOutputPrefix, 1, out p) && allocation is null)
            {
                allocation = AllocationBehaviour.BigOutput;
                script = script with { BigOutputBytes = p[0] };
            }
            else if (TryParameters(segment, TestFunctions.CallWithTimeoutPrefix, 1, out p) && allocation is null)
            {
                allocation = AllocationBehaviour.CallWithTimeout;
                script = script with { CallTimeoutMs = (int)p[0] };
            }
            else if (TryParameters(segment, TestFunctions.CallManyPrefix, 1, out p) && allocation is null)
            {
                allocation = AllocationBehaviour.CallMany;
                script = script with { CallCount = (int)p[0] };
            }
            else
            {
                ignored.Add(segment);
            }
        }

        return script with { Allocation = allocation ?? AllocationBehaviour.Echo, Ignored = ignored };
    }

    /// <summary>Parses "prefix" followed by <paramref name="count"/> '_'-separated non-negative integers.</summary>
    private static bool TryParameters(string segment, string prefix, int count, out long[] values)
    {
        values = [];
        if (!segment.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var parts = segment[prefix.Length..].Split('_');
        if (parts.Length != count)
        {
            return false;
        }

        var parsed = new long[count];
        for (var i = 0; i < count; i++)
        {
            if (!long.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out parsed[i]))
            {
                return false;
            }

            // ms parameters are ints; only big_output takes a long.
            if (prefix != TestFunctions.BigOutputPrefix && parsed[i] > int.MaxValue)
            {
                return false;
            }
        }

        values = parsed;
        return true;
    }
}

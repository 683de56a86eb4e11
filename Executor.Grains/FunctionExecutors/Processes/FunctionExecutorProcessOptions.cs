namespace Executor.FunctionExecutors.Processes;

/// <summary>How Function Executor worker processes are launched. Configuration section <c>FunctionExecutor</c>.</summary>
public sealed class FunctionExecutorProcessOptions
{
    public const string SectionName = "FunctionExecutor";

    /// <summary>Variables copied from the executor's environment when <see cref="EnvironmentPassthrough"/> is not set.</summary>
    public static readonly IReadOnlyList<string> DefaultEnvironmentPassthrough =
    [
        "PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "USER", "PYTHONPATH", "VIRTUAL_ENV", "LD_LIBRARY_PATH",
    ];

    /// <summary>The FE executable: a name looked up on the executor's PATH at launch, or a path.</summary>
    public string Command { get; set; } = "function-executor";

    /// <summary>Extra leading arguments placed before the standard ones, e.g. <c>-m some.module</c> with <c>Command=python3</c>.</summary>
    public List<string> Arguments { get; set; } = [];

    /// <summary>The executor cache root; <c>fe-processes/</c>, <c>fe-logs/</c> and <c>fe-work/</c> live under it.</summary>
    public string CachePath { get; set; } = string.Empty;

    /// <summary>How long to wait for the FE's port to accept TCP connections.</summary>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Cap of each FE's diagnostics log (stdout + stderr); output past it is dropped.</summary>
    public long DiagnosticsLogMaxBytes { get; set; } = 10L * 1024 * 1024;

    /// <summary>
    /// Names of variables copied from the executor's environment; <c>*</c> copies everything.
    /// Null (not configured) means <see cref="DefaultEnvironmentPassthrough"/>. Nullable on purpose:
    /// the configuration binder appends to a pre-filled list, which would make the defaults impossible to drop.
    /// </summary>
    public List<string>? EnvironmentPassthrough { get; set; }

    /// <summary>How many ports to try when the FE exits before listening (free-port discovery is racy).</summary>
    public int PortBindAttempts { get; set; } = 3;

    internal IReadOnlyList<string> EffectiveEnvironmentPassthrough => EnvironmentPassthrough ?? DefaultEnvironmentPassthrough;
}

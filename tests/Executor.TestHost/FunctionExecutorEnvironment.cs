using System.Globalization;
using TestFunctionExecutor;

namespace Executor.TestHost;

/// <summary>
/// The executor gives FEs a cleared environment plus <c>FunctionExecutor:EnvironmentPassthrough</c>, so a test reaches
/// its test FEs only through that list: this puts <see cref="TestFunctions.ProtocolVariable"/> into the executor's
/// environment and into the next free passthrough slot.
/// </summary>
public static class FunctionExecutorEnvironment
{
    private const string SlotPrefix = "FUNCTIONEXECUTOR__ENVIRONMENTPASSTHROUGH__";

    /// <summary>
    /// The executor's own passthrough list when none is configured (<c>FunctionExecutorProcessOptions.DefaultEnvironmentPassthrough</c>;
    /// a unit test in Executor.Tests keeps this copy equal). Configuring any slot replaces the whole list, so a test
    /// that configured none gets these first.
    /// </summary>
    public static IReadOnlyList<string> DefaultPassthrough { get; } =
    [
        "PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "USER", "PYTHONPATH", "VIRTUAL_ENV", "LD_LIBRARY_PATH",
    ];

    /// <summary><paramref name="environment"/> (the executor's extra environment) plus what makes every FE speak <paramref name="protocol"/>.</summary>
    public static Dictionary<string, string> WithProtocol(IReadOnlyDictionary<string, string>? environment, string protocol)
    {
        var result = new Dictionary<string, string>(environment ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        if (result.Keys.Any(k => string.Equals(k, TestFunctions.ProtocolVariable, StringComparison.OrdinalIgnoreCase)))
        {
            throw new ArgumentException($"{TestFunctions.ProtocolVariable} is set by the protocol combination, not by the test's environment", nameof(environment));
        }

        var slots = result.Keys
            .Where(k => k.StartsWith(SlotPrefix, StringComparison.OrdinalIgnoreCase))
            .Select(k => int.Parse(k[SlotPrefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture))
            .ToList();
        var next = slots.Count == 0 ? 0 : slots.Max() + 1;
        if (slots.Count == 0)
        {
            foreach (var name in DefaultPassthrough)
            {
                result[Slot(next++)] = name;
            }
        }

        result[Slot(next)] = TestFunctions.ProtocolVariable;
        result[TestFunctions.ProtocolVariable] = protocol;
        return result;
    }

    private static string Slot(int index) => SlotPrefix + index.ToString(CultureInfo.InvariantCulture);
}

namespace TestFunctionExecutor;

/// <summary>
/// The FE protocol this process speaks, chosen once at startup: an id marker in
/// <c>--function-executor-id</c> (<c>fe013</c>, else <c>fe012</c>) wins over the
/// <c>TEST_FE_PROTOCOL</c> environment variable; unset means 0.1.2. Any other variable value is
/// reported by get_info verbatim while the FE behaves as 0.1.2, so an executor's "unknown FE
/// version" handling can be tested.
/// </summary>
internal sealed record FeProtocol(string Reported, bool Speaks013)
{
    /// <summary>"0.1.3", "0.1.2", or e.g. "9.9 (spoken as 0.1.2)".</summary>
    public string Description => Speaks013 || Reported == TestFunctions.Protocol012 ? Reported : $"{Reported} (spoken as {TestFunctions.Protocol012})";

    public static FeProtocol Select(string functionExecutorId, string? environmentValue)
    {
        if (functionExecutorId.Contains(TestFunctions.Protocol013Marker, StringComparison.OrdinalIgnoreCase))
        {
            return new FeProtocol(TestFunctions.Protocol013, Speaks013: true);
        }

        if (functionExecutorId.Contains(TestFunctions.Protocol012Marker, StringComparison.OrdinalIgnoreCase))
        {
            return new FeProtocol(TestFunctions.Protocol012, Speaks013: false);
        }

        return string.IsNullOrEmpty(environmentValue)
            ? new FeProtocol(TestFunctions.Protocol012, Speaks013: false)
            : new FeProtocol(environmentValue, Speaks013: environmentValue == TestFunctions.Protocol013);
    }
}

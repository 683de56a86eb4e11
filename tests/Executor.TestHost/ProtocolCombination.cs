using FakeIndexifyServer;
using TestFunctionExecutor;

namespace Executor.TestHost;

/// <summary>
/// One Server protocol (the fake's mode; the executor keeps <c>--server-protocol auto</c>, so every run also negotiates)
/// and one FE protocol (every test FE the executor starts speaks it) an end-to-end test runs under.
/// </summary>
/// <remarks>
/// The matrix (issues 13 and 14): every end-to-end test runs on the <see cref="Diagonal"/>, which takes each protocol of
/// each side once; tests where the two sides meet (function calls and their results, tail calls) run on <see cref="All"/>.
/// </remarks>
public sealed record ProtocolCombination(ServerProtocol Server, string FunctionExecutor)
{
    public static ProtocolCombination V1Fe012 { get; } = new(ServerProtocol.V1, TestFunctions.Protocol012);

    public static ProtocolCombination V2Fe013 { get; } = new(ServerProtocol.V2, TestFunctions.Protocol013);

    public static ProtocolCombination V1Fe013 { get; } = new(ServerProtocol.V1, TestFunctions.Protocol013);

    public static ProtocolCombination V2Fe012 { get; } = new(ServerProtocol.V2, TestFunctions.Protocol012);

    /// <summary>The two pairs every end-to-end test runs on: the original protocols, and both new ones.</summary>
    public static IReadOnlyList<ProtocolCombination> Diagonal { get; } = [V1Fe012, V2Fe013];

    /// <summary>Every pair, for tests where the Server protocol and the FE protocol interact.</summary>
    public static IReadOnlyList<ProtocolCombination> All { get; } = [V1Fe012, V2Fe013, V1Fe013, V2Fe012];

    public bool IsServerV1 => Server == ServerProtocol.V1;

    public bool IsServerV2 => Server == ServerProtocol.V2;

    public bool IsFe013 => FunctionExecutor == TestFunctions.Protocol013;

    /// <summary>The executor's label for the Server protocol, as in /state/* and the server_protocol metric.</summary>
    public string ServerLabel => IsServerV1 ? "v1" : "v2";

    public override string ToString() => $"{ServerLabel}+fe{FunctionExecutor}";
}

/// <summary>A <see cref="ProtocolCombination"/> as a type, so that generic test classes and fixtures can be closed over it.</summary>
public interface IProtocols
{
    static abstract ProtocolCombination Combination { get; }
}

/// <summary>The four combinations as types (see <see cref="IProtocols"/>).</summary>
public static class Protocols
{
    public sealed class V1Fe012 : IProtocols
    {
        public static ProtocolCombination Combination => ProtocolCombination.V1Fe012;
    }

    public sealed class V2Fe013 : IProtocols
    {
        public static ProtocolCombination Combination => ProtocolCombination.V2Fe013;
    }

    public sealed class V1Fe013 : IProtocols
    {
        public static ProtocolCombination Combination => ProtocolCombination.V1Fe013;
    }

    public sealed class V2Fe012 : IProtocols
    {
        public static ProtocolCombination Combination => ProtocolCombination.V2Fe012;
    }
}

using Grpc.Core;

namespace FakeIndexifyServer.Faults;

/// <summary>What to do to one incoming call instead of (or before) handling it normally.</summary>
internal abstract record InjectedFault
{
    /// <summary>Answer with this status without processing anything.</summary>
    public sealed record Fail(StatusCode Code, string Detail) : InjectedFault;

    /// <summary>Wait this long, then process normally (a client deadline may expire first).</summary>
    public sealed record Delay(TimeSpan Duration) : InjectedFault;

    /// <summary>Drop the TCP connection without an answer.</summary>
    public sealed record DropConnection : InjectedFault;
}

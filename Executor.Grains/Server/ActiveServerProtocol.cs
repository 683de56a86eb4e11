namespace Executor.Server;

/// <summary>
/// The protocol currently in use, for the parts of the process that only observe it (monitoring endpoints, the
/// protocol metric). The negotiating connection is the only writer.
/// </summary>
public sealed class ActiveServerProtocol
{
    private int _current;

    public ActiveServerProtocol(ServerProtocol initial = ServerProtocol.Unknown) => _current = (int)initial;

    public ServerProtocol Current => (ServerProtocol)Volatile.Read(ref _current);

    /// <returns>The protocol in use before.</returns>
    public ServerProtocol Set(ServerProtocol protocol) => (ServerProtocol)Interlocked.Exchange(ref _current, (int)protocol);
}

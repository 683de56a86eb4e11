namespace TestFunctionExecutor;

/// <summary>How a watched child call ended, as user code sees it.</summary>
internal enum ChildCallStatus
{
    Succeeded,
    Failed,
    RequestError,
    TimedOut,
    WatcherRejected,
}

/// <summary>The outcome of waiting for one child call; <see cref="ValueOrThrow"/> raises what the SDK raises in user code.</summary>
internal sealed record ChildCallResult(ChildCallStatus Status, byte[] Value, string? Message)
{
    public static ChildCallResult Succeeded(byte[] value) => new(ChildCallStatus.Succeeded, value, null);

    public static ChildCallResult Failed(string why) => new(ChildCallStatus.Failed, [], why);

    public static ChildCallResult RequestError(string message) => new(ChildCallStatus.RequestError, [], message);

    public static ChildCallResult TimedOut() => new(ChildCallStatus.TimedOut, [], null);

    public static ChildCallResult WatcherRejected() => new(ChildCallStatus.WatcherRejected, [], null);

    /// <summary>The child's value bytes, or the SDK error user code gets for this outcome.</summary>
    public byte[] ValueOrThrow(ChildCall call) => Status switch
    {
        ChildCallStatus.Succeeded => Value,
        ChildCallStatus.RequestError => throw new RequestErrorException(Message ?? string.Empty),
        ChildCallStatus.TimedOut => throw new TimeoutErrorException($"TimeoutError: waiting for function call {call.Id} timed out"),
        ChildCallStatus.WatcherRejected => throw new FunctionErrorException($"InternalError: Failed to create function call watcher ({call.Id})"),
        _ => throw new FunctionErrorException($"FunctionError: Function call failed ({call.Id}: {Message})"),
    };
}
